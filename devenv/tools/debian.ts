/** Installs the pinned Debian packages that are missing; a no-op (no apt-get at all) when none are. */
import { spawnSync } from 'node:child_process';
import { run, SetupError } from './run.ts';

/** Packages from `wanted` that dpkg does not report as installed. */
export function missingPackages(wanted: readonly string[]): string[] {
  return wanted.filter((pkg) => {
    const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
    return r.status !== 0 || !r.stdout.includes('install ok installed');
  });
}

export async function installPackages(packages: readonly string[], log: string): Promise<void> {
  if (process.getuid?.() !== 0) {
    throw new SetupError(
      `Debian packages missing: ${packages.join(' ')}; expected to run as root to install them, got uid ${process.getuid?.()}. ` +
        `Run: sudo apt-get update && sudo apt-get install -y ${packages.join(' ')}`,
    );
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await run('apt-get', ['update'], { tool: 'apt-get', log, env });
  await run('apt-get', ['install', '-y', '--no-install-recommends', ...packages], { tool: 'apt-get', log, env });
}
