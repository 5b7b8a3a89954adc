/**
 * A cross-process lock for setup: several test runs may start at once on one machine, and two
 * concurrent builds of the same tool would waste minutes and race on the cache. mkdir is atomic;
 * the holder's pid is recorded so a lock left by a killed run is taken over.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** True while process `pid` exists (EPERM: it exists, owned by another user). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Acquires `dir` as a lock, calling `onWait` once if another live process holds it. */
export async function acquireLock(dir: string, onWait: (holder: number) => void): Promise<() => void> {
  let warned = false;
  for (;;) {
    try {
      mkdirSync(dir);
      writeFileSync(join(dir, 'pid'), String(process.pid));
      return () => rmSync(dir, { recursive: true, force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let holder = NaN;
    try {
      holder = Number(readFileSync(join(dir, 'pid'), 'utf8'));
    } catch {
      // the holder is between mkdir and writing its pid
    }
    if (Number.isInteger(holder) && holder > 0 && !alive(holder)) {
      rmSync(dir, { recursive: true, force: true });
      continue;
    }
    if (!warned && Number.isInteger(holder)) {
      onWait(holder);
      warned = true;
    }
    await sleep(1000);
  }
}
