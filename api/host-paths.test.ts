import { describe, expect, it } from 'vitest';
import { hostPathRefusal, isUnder } from './host-paths.ts';
import { validateWasmFunction, validateWasmRuntime } from './validators.ts';
import { VALID } from './testdata/bad-inputs.ts';

const FIELD = 'WasmRuntime edge/default spec.hostPaths.allowed';
const allowed = [
  { path: '/srv/data', readOnly: true },
  { path: '/var/lib/fn', readOnly: false },
];

describe('isUnder', () => {
  it.each([
    { path: '/srv/data', root: '/srv/data', under: true },
    { path: '/srv/data/a/b', root: '/srv/data', under: true },
    { path: '/srv/data2', root: '/srv/data', under: false },
    { path: '/srv', root: '/srv/data', under: false },
    { path: '/anything', root: '/', under: true },
  ])('$path under $root: $under', ({ path, root, under }) => {
    expect(isUnder(path, root)).toBe(under);
  });
});

describe('hostPathRefusal', () => {
  it.each([
    { name: 'read-only below a read-only entry', path: '/srv/data/x', readOnly: true },
    { name: 'the entry itself', path: '/srv/data', readOnly: true },
    { name: 'read-write below a read-write entry', path: '/var/lib/fn/state', readOnly: false },
    { name: 'read-only below a read-write entry', path: '/var/lib/fn', readOnly: true },
  ])('admits $name', ({ path, readOnly }) => {
    expect(hostPathRefusal(path, readOnly, allowed, FIELD)).toBeUndefined();
  });

  it('refuses a read-write mount under a read-only entry, saying both fixes', () => {
    expect(hostPathRefusal('/srv/data/x', false, allowed, FIELD)).toBe(
      `expected a read-only volume (${FIELD} has /srv/data read-only), got readOnly: false for /srv/data/x; set readOnly: true on the volume or readOnly: false on the allowed entry`,
    );
  });

  it('refuses a path no entry covers, by whole components', () => {
    expect(hostPathRefusal('/srv/data2', true, allowed, FIELD)).toBe(`expected /srv/data2 at or below an entry of ${FIELD} (/srv/data, /var/lib/fn), got none; add its directory there or use an allowed one`);
  });

  it('refuses everything when the list is empty (deny by default)', () => {
    expect(hostPathRefusal('/srv/data', true, [], FIELD)).toContain(`(empty: no host paths)`);
  });
});

describe('host path admission rules', () => {
  const volume = (hostPath: string) => validateWasmFunction({ apiVersion: 'flotilla.dev/v1alpha1', kind: 'WasmFunction', metadata: { name: 'f' }, spec: { ...VALID.WasmFunction, capabilities: { volumes: [{ name: 'v', hostPath, mountPath: '/v' }] } } });
  const runtime = (path: string) => validateWasmRuntime({ apiVersion: 'flotilla.dev/v1alpha1', kind: 'WasmRuntime', metadata: { name: 'r' }, spec: { ...VALID.WasmRuntime, hostPaths: { allowed: [{ path }] } } });

  it.each(['/srv/data', '/var/lib/flotilla-data/x', '/procfs', '/device', '/srv/..data'])('accepts %s', (path) => {
    expect(volume(path).ok).toBe(true);
    expect(runtime(path).ok).toBe(true);
  });

  it.each(['/proc', '/proc/self', '/sys/fs', '/dev', '/', '/srv/data/', '/srv//data', '/srv/./data', '/srv/../proc'])('refuses %s on both kinds', (path) => {
    expect(volume(path)).toMatchObject({ ok: false, errors: [{ path: 'spec.capabilities.volumes[0].hostPath' }] });
    expect(runtime(path)).toMatchObject({ ok: false, errors: [{ path: 'spec.hostPaths.allowed[0].path' }] });
  });

  it('says why /proc is refused', () => {
    const result = volume('/proc');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors[0]?.message).toContain("every process's environment and secrets");
  });

  it('a runtime allows no host paths by default', () => {
    const result = validateWasmRuntime({ apiVersion: 'flotilla.dev/v1alpha1', kind: 'WasmRuntime', metadata: { name: 'r' }, spec: VALID.WasmRuntime });
    expect(result.ok && result.value.spec.hostPaths).toEqual({ allowed: [] });
  });
});
