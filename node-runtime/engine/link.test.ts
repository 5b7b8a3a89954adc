import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { HostCapability } from '../capabilities/capability.ts';
import type { CapabilityConfigs } from '../capabilities/registry.ts';
import { compileModule } from '../compile/compile.ts';
import { assemble, I32, misbehaving, wagiHello, type AsmImport } from '../testing/assemble.ts';
import { wasiCapability } from '../wasi/capability.ts';
import { bytesInput } from '../wasi/host.ts';
import { ModuleInstances, type LoadedModule } from './instances.ts';
import { ThreadCapabilities } from './link.ts';

const kvDisk = () => ({ store: 'disk' as const, dir: join(mkdtempSync(join(tmpdir(), 'link-')), 'ns', 'fn') });
const NO_PREOPENS = { preopens: [] };

/** A command module importing `imports` (all of type (i32, i32) -> i32) and calling none. */
function importing(imports: readonly Omit<AsmImport, 'type'>[]): Uint8Array {
  return assemble({
    types: [{ params: [], results: [] }, { params: [I32, I32], results: [I32] }],
    imports: imports.map((i) => ({ ...i, type: 1 })),
    funcs: [{ type: 0, body: [] }],
    memory: { min: 1 },
    exports: [{ name: 'memory', kind: 'memory', index: 0 }, { name: '_start', kind: 'func', index: imports.length }],
  });
}

async function load(bytes: Uint8Array, capabilities: CapabilityConfigs): Promise<LoadedModule> {
  const { module, layout } = await compileModule(bytes, 16, 'test');
  return { name: 'ns/fn', digest: 'sha256:test', module, layout, reuse: false, capabilities };
}

const sink = { write: () => undefined };
const run = (inst: ModuleInstances) => inst.run({ args: [], env: [], stdin: bytesInput(new Uint8Array()), stdout: sink, stderr: sink }).exitCode;

describe('linking against the host capabilities', () => {
  const node = new ThreadCapabilities();

  it.each([
    ['a module no capability provides', [{ module: 'env', name: 'host_call' }], {}, /import "env" "host_call": expected a module one of the node's host capabilities provides \(wasi_snapshot_preview1, flotilla:kv\), got env/],
    ['a capability the function is not granted', [{ module: 'flotilla:kv', name: 'get' }], {}, /import "flotilla:kv" "get": expected the kv capability to be granted, got none; grant it with spec\.state/],
    ['a name the capability does not provide', [{ module: 'flotilla:kv', name: 'frob' }], { kv: kvDisk() }, /import "flotilla:kv" "frob": expected one of the functions get, set, delete, list, got a function frob/],
  ] as const)('refuses an import of %s, naming it', async (_case, imports, granted, message) => {
    const loaded = await load(importing(imports), { wasi: NO_PREOPENS, ...granted });
    await expect(ModuleInstances.create(loaded, node)).rejects.toMatchObject({ code: 'UnsupportedModule', message: expect.stringMatching(message) as unknown });
  });

  it('links the granted capabilities, and every WASI name (the ungranted ones answer NOSYS)', async () => {
    const bytes = importing([{ module: 'flotilla:kv', name: 'get' }, { module: 'wasi_snapshot_preview1', name: 'sock_open' }]);
    const inst = await ModuleInstances.create(await load(bytes, { wasi: NO_PREOPENS, kv: kvDisk() }), node);
    expect(run(inst)).toBe(0);
  });

  it('waits for an asynchronous prepare and brackets every invocation with begin and end, failed ones too', async () => {
    const seen: string[] = [];
    const later: HostCapability<'later', never, true> = {
      name: 'later',
      modules: ['test:later'],
      grantedBy: 'nothing',
      grant: () => undefined,
      configure: () => true,
      unsupported: () => undefined,
      init: () => ({
        async prepare() {
          await new Promise((resolve) => setTimeout(resolve, 10));
          seen.push('prepared');
          return { instantiate: () => ({ imports: {}, begin: () => seen.push('begin'), end: () => seen.push('end') }) };
        },
      }),
    };
    const both = new ThreadCapabilities([wasiCapability, later]);
    const configs = { wasi: NO_PREOPENS, later: true } as CapabilityConfigs;
    const hello = await ModuleInstances.create(await load(wagiHello(), configs), both);
    expect(seen).toEqual(['prepared']);
    run(hello);
    run(hello);
    const trap = await ModuleInstances.create(await load(misbehaving('trap'), configs), both);
    expect(() => run(trap)).toThrow(expect.objectContaining({ code: 'Trap' }));
    expect(seen).toEqual(['prepared', 'begin', 'end', 'begin', 'end', 'prepared', 'begin', 'end']);
  });
});
