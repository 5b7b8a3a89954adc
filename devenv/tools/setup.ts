/**
 * `npm run setup`: installs the Debian packages and builds the Go and Cargo tools pinned in
 * versions.json into the tool cache. Idempotent: a rerun checks dpkg and the build stamps and does
 * nothing else. The Go builds run one after another (each uses every core) while the Cargo builds
 * run beside them: on a cold machine their downloads and link steps overlap the other lane's work.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { cargoBuild } from './cargo-build.ts';
import { buildLog, buildRoot, goBuild, isBuilt } from './go-build.ts';
import { installPackages, missingPackages } from './debian.ts';
import { acquireLock } from './lock.ts';
import { toolsDir, versions } from './paths.ts';
import type { PinnedBuild } from './paths.ts';
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
    const total = 1 + v.go.builds.length + v.cargo.builds.length;
    const started = performance.now();

    const missing = missingPackages(v.debian.packages);
    if (missing.length === 0) say(`[1/${total}] Debian packages (${v.debian.packages.length}): installed\n`);
    else {
      say(`[1/${total}] Debian packages: installing ${missing.join(' ')}...`);
      const t = performance.now();
      await installPackages(missing, join(buildRoot(), 'apt.log'));
      say(` done in ${secondsSince(t)}\n`);
    }

    let n = 1;
    // One lane builds its tools in order; a line when each starts and ends, since lanes interleave.
    const lane = async <B extends PinnedBuild>(builds: readonly B[], build: (b: B) => Promise<void>): Promise<void> => {
      for (const b of builds) {
        const label = `[${++n}/${total}] ${Object.keys(b.tools).join('+')} ${b.version}`;
        if (isBuilt(b)) {
          say(`${label}: cached\n`);
          continue;
        }
        say(`${label}: building (cold build takes ${b.coldBuild}; log ${buildLog(b)})\n`);
        const t = performance.now();
        await build(b);
        say(`${label}: built in ${secondsSince(t)}\n`);
      }
    };
    const results = await Promise.allSettled([lane(v.go.builds, goBuild), lane(v.cargo.builds, cargoBuild)]);
    const failed = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    if (failed.length > 0) throw failed[0];
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
