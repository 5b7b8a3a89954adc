import { describe, expect, it } from 'vitest';
import type { LoadedModule } from '../engine/instances.ts';
import { INLINE_MAX_INITIAL_PAGES, runsInline } from './inline.ts';

/** What runsInline reads of a module; the rest is irrelevant to it. */
function loaded(o: { interruptible?: boolean; imports?: readonly string[]; kv?: boolean; preopens?: number; initialPages?: number }): LoadedModule {
  const preopens = Array.from({ length: o.preopens ?? 0 }, (_, i) => ({ guestPath: `/data${i}`, hostPath: `/srv/data${i}`, readOnly: true }));
  return {
    layout: { interruptible: o.interruptible ?? true, initialPages: o.initialPages ?? 2, imports: (o.imports ?? ['fd_write']).map((name) => ({ module: 'wasi_snapshot_preview1', name, kind: 'function' })) },
    capabilities: { ...(o.kv ? { kv: {} } : {}), wasi: { preopens } },
  } as unknown as LoadedModule;
}

// An inline run past the budget is abandoned and run again in the pool: only a module whose run
// has no effect outside its response (and cannot block the listener) may run inline.
describe('runsInline', () => {
  it.each([
    ['a plain interruptible module', {}, true],
    ['one the deadline checks could not be compiled into', { interruptible: false }, false],
    ['one that may sleep in poll_oneoff', { imports: ['fd_write', 'poll_oneoff'] }, false],
    ['one bound to kv (its calls wait on the main thread, and a re-run would write twice)', { kv: true }, false],
    ['one whose initial memory is 16 MiB', { initialPages: INLINE_MAX_INITIAL_PAGES }, true],
    ['one whose initial memory is larger (the reset after each answer would hold the listener)', { initialPages: INLINE_MAX_INITIAL_PAGES + 1 }, false],
    ['one with a host path, even read-only (a FIFO or slow disk blocks; a writable one would be written twice)', { preopens: 1 }, false],
  ] as const)('%s: %s', (_name, o, expected) => {
    expect(runsInline(loaded(o))).toBe(expected);
  });
});
