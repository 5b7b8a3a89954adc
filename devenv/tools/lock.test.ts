import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireLock } from './lock.ts';

describe('acquireLock', () => {
  it('makes a second taker wait for the holder and says whom it waits for', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'lock-test-')), 'setup.lock');
    const release = await acquireLock(dir, () => undefined);
    const waitedFor: number[] = [];
    let second = false;
    const next = acquireLock(dir, (pid) => waitedFor.push(pid)).then((r) => {
      second = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(second).toBe(false);
    expect(waitedFor).toEqual([process.pid]);
    release();
    (await next)();
    expect(second).toBe(true);
  });

  it('takes over a lock whose holder is dead', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'lock-test-')), 'setup.lock');
    mkdirSync(dir);
    // pid_max on Linux is at most 2^22, so this pid cannot be alive.
    writeFileSync(join(dir, 'pid'), String(2 ** 22 + 1));
    const release = await acquireLock(dir, () => {
      throw new Error('should not wait for a dead holder');
    });
    release();
  });
});
