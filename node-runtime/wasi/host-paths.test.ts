import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { admitDirs, type DirGrant } from './host-paths.ts';

const root = mkdtempSync(join(tmpdir(), 'flotilla-host-paths-'));
const data = join(root, 'data');
const cache = join(root, 'node', 'cache');
const other = join(root, 'other');
for (const d of [join(data, 'sub'), cache, other]) mkdirSync(d, { recursive: true });
symlinkSync('/proc', join(data, 'proc-link'));
symlinkSync(join(data, 'sub'), join(root, 'sub-link'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const grant = (hostPath: string, readOnly = true, allowed = [{ path: data, readOnly: true }]): DirGrant => ({
  dirs: [{ guestPath: '/data', hostPath, readOnly, grantedAs: 'spec.capabilities.volumes data' }],
  allowed,
  allowedBy: 'WasmRuntime edge/default spec.hostPaths.allowed',
});
const admit = (g: DirGrant) => admitDirs('edge/fn', g, [cache]);

describe('admitDirs: the node checks granted directories on its own disk', () => {
  it('admits a directory under an allowed one, resolved', () => {
    expect(admit(grant(join(data, 'sub')))).toEqual([{ guestPath: '/data', hostPath: join(data, 'sub'), readOnly: true }]);
    // A symlink outside the allow-list that lands inside it is judged (and opened) where it lands.
    expect(admit(grant(join(root, 'sub-link')))[0]?.hostPath).toBe(join(data, 'sub'));
  });

  it.each([
    { name: 'a symlink to /proc under an allowed directory', hostPath: () => join(data, 'proc-link'), why: /hostPath .*proc-link \(resolves to \/proc\) refused: expected a directory outside \/proc, \/sys, \/dev, got \/proc under \/proc/ },
    { name: '/proc itself, even when allowed', hostPath: () => '/proc', allowed: [{ path: '/proc', readOnly: true }], why: /got \/proc under \/proc/ },
    { name: '/ itself, even when allowed', hostPath: () => '/', allowed: [{ path: '/', readOnly: true }], why: /got \/ itself/ },
    { name: "the node's cache", hostPath: () => cache, allowed: [{ path: root, readOnly: true }], why: /apart from the node's own .*cache/ },
    { name: "a directory holding the node's cache", hostPath: () => join(root, 'node'), allowed: [{ path: root, readOnly: true }], why: /apart from the node's own .*cache \(module cache or state\), got .*\/node$/ },
    { name: 'a directory outside the allow-list', hostPath: () => other, why: /expected .* at or below an entry of WasmRuntime edge\/default spec\.hostPaths\.allowed/ },
    { name: 'a read-write mount under a read-only entry', hostPath: () => data, readOnly: false, why: /expected a read-only volume/ },
    { name: 'a directory that does not exist', hostPath: () => join(data, 'missing'), why: /expected an existing directory, got ENOENT/ },
  ])('refuses $name, naming the function, the volume and the path', ({ hostPath, readOnly, allowed, why }) => {
    const g = grant(hostPath(), readOnly ?? true, allowed);
    expect(() => admit(g)).toThrow(expect.objectContaining({ code: 'HostPathNotAllowed', message: expect.stringMatching(/^function edge\/fn: spec\.capabilities\.volumes data: hostPath /) as unknown }));
    expect(() => admit(g)).toThrow(why);
  });

  it('with an empty allow-list admits nothing', () => {
    expect(() => admit(grant(data, true, []))).toThrow(/\(empty: no host paths\)/);
  });
});
