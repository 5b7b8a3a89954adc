import { describe, expect, it } from 'vitest';
import type { LoadedModule } from '../engine/instances.ts';
import { runsInline } from './inline.ts';

/** What runsInline reads of a module; the rest is irrelevant to it. */
function loaded(o: { interruptible?: boolean; imports?: readonly string[]; kv?: boolean }): LoadedModule {
  return {
    layout: { interruptible: o.interruptible ?? true, imports: (o.imports ?? ['fd_write']).map((name) => ({ module: 'wasi_snapshot_preview1', name, kind: 'function' })) },
    capabilities: o.kv ? { kv: {} } : {},
  } as unknown as LoadedModule;
}

describe('runsInline', () => {
  it.each([
    ['a plain interruptible module', {}, true],
    ['one the deadline checks could not be compiled into', { interruptible: false }, false],
    ['one that may sleep in poll_oneoff', { imports: ['fd_write', 'poll_oneoff'] }, false],
    ['one bound to kv (its calls wait on the main thread)', { kv: true }, false],
  ] as const)('%s: %s', (_name, o, expected) => {
    expect(runsInline(loaded(o))).toBe(expected);
  });
});
