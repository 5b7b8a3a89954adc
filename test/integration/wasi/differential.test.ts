/**
 * WASI preview1 conformance against wasmtime: every case under cases/ runs under the pinned
 * wasmtime CLI and under our engine with identical sandboxes; stdout must be identical, stderr
 * empty on both or non-empty on both, the exit code the same, and the sandboxes must end up the
 * same. Deliberate differences are listed in docs/wasi.md; cases avoid them (notes in case.json).
 */
import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildCase, caseRuns, makeSandbox, runOurs, runWasmtime, sandboxPreopen, treeOf } from './harness.ts';

describe('WASI preview1 behaves as wasmtime does', () => {
  it.each(caseRuns())('$label', async ({ name, spec, run }) => {
    const wasm = await buildCase(name);
    const theirsDir = makeSandbox(spec);
    const oursDir = makeSandbox(spec);
    try {
      const theirs = await runWasmtime(wasm, run, theirsDir);
      const ours = await runOurs(wasm, run, sandboxPreopen(oursDir));
      // A run either prints what it observed or is one that wasmtime ends (trap, exit status): two
      // runs that print nothing and exit 0 would compare equal but test nothing.
      expect(theirs.stdout !== '' || theirs.exit !== 0, 'wasmtime printed nothing and exited 0: the case tests nothing').toBe(true);
      expect(ours.stdout).toBe(theirs.stdout);
      expect({ exit: ours.exit, stderr: ours.stderr === '' ? 'empty' : 'non-empty' }).toEqual({ exit: theirs.exit, stderr: theirs.stderr === '' ? 'empty' : 'non-empty' });
      expect(await treeOf(oursDir)).toBe(await treeOf(theirsDir));
    } finally {
      rmSync(theirsDir, { recursive: true, force: true });
      rmSync(oursDir, { recursive: true, force: true });
    }
  }, 120_000);
});
