import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publicKeyPem } from '../../../artifacts/index.ts';
import { FUNCTION_ROUTE_TYPE, FUNCTION_TRIGGER_TYPE, WASM_FUNCTION_TYPE, WASM_RUNTIME_TYPE } from '../../../operator/kinds.ts';
import { waitFor } from '../../harness/index.ts';
import { condition, fnSpec, operatorWorld } from './fixture.ts';
import type { OperatorWorld } from './fixture.ts';

/** What a user gets to see when something they reference is wrong or broken: a condition that says what to fix. */
describe('bad references and failures surface as conditions', () => {
  let w: OperatorWorld;
  const ZERO = `sha256:${'0'.repeat(64)}`;
  beforeAll(async () => {
    w = await operatorWorld('badref');
    await w.addNode('node-a');
  });
  afterAll(() => w?.close());

  it.each([
    { name: 'signed with a key the policy does not trust', condition: 'SignatureVerified', reason: 'UntrustedKey', ref: () => w.pushModule('stranger', generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey) },
    { name: 'a digest the registry does not have', condition: 'ModuleAvailable', reason: 'ManifestNotFound', ref: async () => `${(await w.pushModule('exists')).split('@')[0]}@${ZERO}` },
    { name: 'an unreachable registry', condition: 'ModuleAvailable', reason: 'RegistryUnreachable', ref: () => Promise.resolve(`127.0.0.1:9/nothing@${ZERO}`) },
  ] as const)('$name → $condition=False $reason, Ready=False, not placed', async ({ condition: type, reason, ref }) => {
    const name = reason.toLowerCase();
    await w.create(WASM_FUNCTION_TYPE, { metadata: { name }, spec: fnSpec(await ref(), 1) });
    const fn = await w.waitCondition(WASM_FUNCTION_TYPE, name, type, { status: 'False', reason }, 60_000);
    expect(condition(fn, 'Ready')).toMatchObject({ status: 'False', reason });
    expect(fn.status?.nodes ?? []).toEqual([]);
  });

  it('a WasmRuntime whose trust policy does not exist', async () => {
    await w.create(WASM_RUNTIME_TYPE, { metadata: { name: 'lax' }, spec: { version: '0.1.0', trustPolicyRef: { name: 'missing' } } });
    await w.create(WASM_FUNCTION_TYPE, { metadata: { name: 'untrusted' }, spec: fnSpec(await w.pushModule('lax'), 1, 'lax') });
    const fn = await w.waitCondition(WASM_FUNCTION_TYPE, 'untrusted', 'SignatureVerified', { status: 'False', reason: 'TrustPolicyNotFound' });
    expect(condition(fn, 'SignatureVerified')?.message).toContain(`${w.ns.name}/missing not found`);
  });

  it('limits above the pool ceilings', async () => {
    await w.create(WASM_RUNTIME_TYPE, { metadata: { name: 'tight' }, spec: { version: '0.1.0', trustPolicyRef: { name: 'fleet' }, ceilings: { memoryPages: 8 } } });
    await w.create(WASM_FUNCTION_TYPE, { metadata: { name: 'greedy' }, spec: fnSpec(await w.pushModule('greedy'), 1, 'tight') });
    const fn = await w.waitCondition(WASM_FUNCTION_TYPE, 'greedy', 'Ready', { status: 'False', reason: 'LimitsExceedCeiling' });
    expect(condition(fn, 'Ready')?.message).toContain('limits.memoryPages: 16 > 8');
  });

  it("volumes outside the pool's allowed host paths: HostPathNotAllowed, on no node; inside them: placed, the ceiling in the assignment", async () => {
    const hostPaths = { allowed: [{ path: '/srv/data', readOnly: true }] };
    await w.create(WASM_RUNTIME_TYPE, { metadata: { name: 'files' }, spec: { version: '0.1.0', trustPolicyRef: { name: 'fleet' }, hostPaths } });
    const node = await w.addNode('node-files', { runtime: 'files' });
    const withVolume = async (name: string, hostPath: string, readOnly: boolean) =>
      w.create(WASM_FUNCTION_TYPE, { metadata: { name }, spec: { ...fnSpec(await w.pushModule(name), 1, 'files'), capabilities: { volumes: [{ name: 'data', hostPath, mountPath: '/data', readOnly }] } } });
    await withVolume('snoop', '/etc', true);
    await withVolume('scribble', '/srv/data/out', false);
    await withVolume('reader', '/srv/data/in', true);
    const snoop = await w.waitCondition(WASM_FUNCTION_TYPE, 'snoop', 'Ready', { status: 'False', reason: 'HostPathNotAllowed' });
    expect(condition(snoop, 'Ready')?.message).toContain(`volume data: expected /etc at or below an entry of WasmRuntime ${w.ns.name}/files spec.hostPaths.allowed (/srv/data), got none`);
    const scribble = await w.waitCondition(WASM_FUNCTION_TYPE, 'scribble', 'Ready', { status: 'False', reason: 'HostPathNotAllowed' });
    expect(condition(scribble, 'Ready')?.message).toContain('volume data: expected a read-only volume');
    await waitFor(async () => ((await w.get(WASM_FUNCTION_TYPE, 'reader')).status?.nodes?.length === 1 ? true : undefined), { what: 'reader placed', timeoutMs: 15_000 });
    await waitFor(() => Promise.resolve(node.assignment()?.functions.some((f) => f.name === 'reader') ? true : undefined), { what: 'reader assigned', timeoutMs: 15_000 });
    const assignment = node.assignment();
    expect(assignment?.functions.find((f) => f.name === 'reader')?.hostPaths).toEqual(hostPaths);
    for (const refused of ['snoop', 'scribble']) {
      expect((await w.get(WASM_FUNCTION_TYPE, refused)).status?.nodes ?? []).toEqual([]);
      expect([...(assignment?.functions ?? []), ...(assignment?.dormant ?? [])].map((f) => f.name)).not.toContain(refused);
    }
  });

  it.each([
    { name: 'certs', auth: { type: 'mtls' }, field: 'spec.auth.type' },
    { name: 'keys', auth: { type: 'apiKey', apiKey: { secretRef: 'keys' } }, field: 'spec.auth.apiKey.secretRef' },
  ])('a route whose auth ($auth.type) nodes cannot enforce → Ready=False and Degraded=True AuthNotEnforceable naming $field', async ({ name, auth, field }) => {
    await w.create(WASM_FUNCTION_TYPE, { metadata: { name: `${name}-fn` }, spec: fnSpec(await w.pushModule(`${name}-fn`), 1) });
    await w.create(FUNCTION_ROUTE_TYPE, { metadata: { name }, spec: { host: `${name}.example.com`, backends: [{ functionRef: `${name}-fn`, weight: 100 }], auth } });
    const route = await w.waitCondition(FUNCTION_ROUTE_TYPE, name, 'Ready', { status: 'False', reason: 'AuthNotEnforceable' });
    expect(condition(route, 'Ready')?.message).toContain(field);
    expect(condition(route, 'Degraded')).toMatchObject({ status: 'True', reason: 'AuthNotEnforceable' });
  });

  it('a route a node reports it cannot enforce (its JWKS unreachable there) → Ready=False AuthNotEnforceable naming the node, back to Ready when it no longer does', async () => {
    await w.create(WASM_FUNCTION_TYPE, { metadata: { name: 'jwt-fn' }, spec: fnSpec(await w.pushModule('jwt-fn'), 1) });
    const auth = { type: 'jwt', jwt: { issuer: 'https://issuer.example', audiences: ['api'], jwksUri: 'https://issuer.example/jwks.json' } };
    await w.create(FUNCTION_ROUTE_TYPE, { metadata: { name: 'jwt' }, spec: { host: 'jwt.example.com', backends: [{ functionRef: 'jwt-fn', weight: 100 }], auth } });
    await w.waitCondition(FUNCTION_ROUTE_TYPE, 'jwt', 'Ready', { status: 'True' });
    const node = w.nodes[0]!;
    node.reportRoutes({ [`${w.ns.name}/jwt`]: { reason: 'AuthNotEnforceable', message: 'cannot get the JWKS at https://issuer.example/jwks.json (connection refused)' } });
    const route = await w.waitCondition(FUNCTION_ROUTE_TYPE, 'jwt', 'Degraded', { status: 'True', reason: 'AuthNotEnforceable' });
    expect(condition(route, 'Ready')).toMatchObject({ status: 'False', reason: 'AuthNotEnforceable', message: expect.stringContaining('node-a: cannot get the JWKS') as unknown });
    node.reportRoutes({});
    await w.waitCondition(FUNCTION_ROUTE_TYPE, 'jwt', 'Ready', { status: 'True' }, 40_000);
  });

  it('a route or trigger naming a missing function', async () => {
    await w.create(FUNCTION_ROUTE_TYPE, { metadata: { name: 'dangling' }, spec: { host: 'x.example.com', backends: [{ functionRef: 'ghost', weight: 100 }] } });
    await w.create(FUNCTION_TRIGGER_TYPE, { metadata: { name: 'dangling' }, spec: { functionRef: 'ghost', type: 'cron', cron: { schedule: '*/5 * * * *' } } });
    const route = await w.waitCondition(FUNCTION_ROUTE_TYPE, 'dangling', 'Ready', { status: 'False', reason: 'FunctionNotFound' });
    expect(condition(route, 'Ready')?.message).toContain('ghost');
    await w.waitCondition(FUNCTION_TRIGGER_TYPE, 'dangling', 'Ready', { status: 'False', reason: 'FunctionNotFound' });
    // Creating the function fixes both, with no further action.
    await w.create(WASM_FUNCTION_TYPE, { metadata: { name: 'ghost' }, spec: fnSpec(await w.pushModule('ghost'), 1) });
    await w.waitCondition(FUNCTION_ROUTE_TYPE, 'dangling', 'Ready', { status: 'True' });
    await w.waitCondition(FUNCTION_TRIGGER_TYPE, 'dangling', 'Ready', { status: 'True' });
    await waitFor(async () => ((await w.get(WASM_FUNCTION_TYPE, 'ghost')).status?.readyInstances === 1 ? true : undefined), { what: 'ghost running', timeoutMs: 15_000 });
    expect(w.nodes[0]?.assignment()?.triggers.map((t) => t.name)).toEqual(['dangling']);
  });

  it('triggers whose next chain loops are ChainCycle and run nowhere', async () => {
    for (const name of ['ping', 'pong']) await w.create(WASM_FUNCTION_TYPE, { metadata: { name }, spec: fnSpec(await w.pushModule(name), 1) });
    await w.create(FUNCTION_TRIGGER_TYPE, { metadata: { name: 'ping' }, spec: { functionRef: 'ping', type: 'cron', cron: { schedule: '@hourly' }, next: [{ functionRef: 'pong' }] } });
    await w.waitCondition(FUNCTION_TRIGGER_TYPE, 'ping', 'Ready', { status: 'True' });
    await w.create(FUNCTION_TRIGGER_TYPE, { metadata: { name: 'pong' }, spec: { functionRef: 'pong', type: 'cron', cron: { schedule: '@hourly' }, next: [{ functionRef: 'ping' }] } });
    const ping = await w.waitCondition(FUNCTION_TRIGGER_TYPE, 'ping', 'Ready', { status: 'False', reason: 'ChainCycle' });
    expect(condition(ping, 'Ready')?.message).toContain('ping → pong → ping');
    await w.waitCondition(FUNCTION_TRIGGER_TYPE, 'pong', 'Ready', { status: 'False', reason: 'ChainCycle' });
    await waitFor(async () => ((await w.get(WASM_FUNCTION_TYPE, 'pong')).status?.readyInstances === 1 ? true : undefined), { what: 'pong running', timeoutMs: 15_000 });
    expect(w.nodes[0]?.assignment()?.triggers.map((t) => t.name)).not.toContain('ping');
  });

  it('editing the trust policy re-verifies at once: a revoked key takes the function off its nodes', async () => {
    const policy = (pem: string) => ({ 'policy.json': JSON.stringify({ keys: [pem], identities: [] }) });
    await w.api.request({ method: 'POST', path: `/api/v1/namespaces/${w.ns.name}/configmaps`, body: { metadata: { name: 'revocable' }, data: policy(publicKeyPem(w.key)) } });
    await w.create(WASM_RUNTIME_TYPE, { metadata: { name: 'rev' }, spec: { version: '0.1.0', trustPolicyRef: { name: 'revocable' } } });
    await w.addNode('node-rev', { runtime: 'rev' });
    await w.create(WASM_FUNCTION_TYPE, { metadata: { name: 'revoked' }, spec: fnSpec(await w.pushModule('revoked'), 1, 'rev') });
    await w.waitCondition(WASM_FUNCTION_TYPE, 'revoked', 'Ready', { status: 'True' });
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    await w.api.request({ method: 'PATCH', path: `/api/v1/namespaces/${w.ns.name}/configmaps/revocable`, body: { data: policy(publicKeyPem(other)) }, contentType: 'application/merge-patch+json' });
    const fn = await w.waitCondition(WASM_FUNCTION_TYPE, 'revoked', 'SignatureVerified', { status: 'False', reason: 'UntrustedKey' }, 15_000);
    expect(fn.status?.nodes ?? []).toEqual([]);
  });
});
