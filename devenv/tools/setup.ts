/**
 * `npm run setup`: installs the Debian packages and builds the Go tools pinned in versions.json into
 * the tool cache. Idempotent: a rerun checks dpkg and the build stamps and does nothing else.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildLog, buildRoot, goBuild, isBuilt } from './go-build.ts';
import { installPackages, missingPackages } from './debian.ts';
import { acquireLock } from './lock.ts';
import { toolsDir, versions } from './paths.ts';
import { SetupError } from './run.ts';

function say(text: string): void {
  process.stderr.write(text);
}

function secondsSince(start: number): string {
  return `${Math.round((performance.now() - start) / 1000)}s`;
}

async function main(): Promise<void> {
  const v = versions();
  mkdirSync(buildRoot(), { recursive: true });
  mkdirSync(toolsDir(), { recursive: true });
  const release = await acquireLock(join(buildRoot(), 'setup.lock'), (pid) =>
    say(`setup: another setup (pid ${pid}) is installing tools; waiting for it...\n`),
  );
  try {
    const total = 1 + v.go.builds.length;
    const started = performance.now();

    const missing = missingPackages(v.debian.packages);
    if (missing.length === 0) say(`[1/${total}] Debian packages (${v.debian.packages.length}): installed\n`);
    else {
      say(`[1/${total}] Debian packages: installing ${missing.join(' ')}...`);
      const t = performance.now();
      await installPackages(missing, join(buildRoot(), 'apt.log'));
      say(` done in ${secondsSince(t)}\n`);
    }

    for (const [i, build] of v.go.builds.entries()) {
      const label = `[${i + 2}/${total}] ${Object.keys(build.tools).join('+')} ${build.version}`;
      if (isBuilt(build)) {
        say(`${label}: cached\n`);
        continue;
      }
      say(`${label}: building (cold build takes ${build.coldBuild}; log ${buildLog(build)})...`);
      const t = performance.now();
      await goBuild(build);
      say(` done in ${secondsSince(t)}\n`);
    }
    for (const [tool, reason] of Object.entries(v.unavailable)) say(`${tool}: not available (${reason})\n`);
    say(`setup: tools ready in ${toolsDir()} (${secondsSince(started)})\n`);
  } finally {
    release();
  }
}

try {
  await main();
} catch (err) {
  process.stderr.write(`\nsetup failed: ${err instanceof SetupError ? err.message : String((err as Error).stack ?? err)}\n`);
  process.exitCode = 1;
}
