/**
 * Private registries: the harness registry behind htpasswd Basic auth, a module pushed there, and
 * a WasmRuntime's `registryCredentials` naming a `kubernetes.io/dockerconfigjson` Secret. The
 * operator verifies with the Secret and refuses without it (a condition naming the Secret); a real
 * node, running the DaemonSet's arguments with the pool's own ServiceAccount token (its Role grants
 * `get` on exactly that Secret), pulls with it, and reports a refused pull naming the Secret.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publicKeyPem, staticCredentials } from '../../../artifacts/index.ts';
import { startRegistry } from '../../../devenv/servers/registry.ts';
import type { Registry } from '../../../devenv/servers/registry.ts';
import { kubeconfigYaml } from '../../../devenv/servers/kube-apiserver.ts';
import { publish } from '../../../devenv/fixtures/modules.ts';
import { wagiHello } from '../../../node-runtime/testing/assemble.ts';
import { WASM_FUNCTION_TYPE, WASM_RUNTIME_TYPE } from '../../../operator/kinds.ts';
import { harness, kubectl, uniqueName, waitFor } from '../../harness/index.ts';
import { awaitOutput, run, type Proc } from './cli-process.ts';
import { condition, operatorWorld } from './fixture.ts';
import type { OperatorWorld } from './fixture.ts';

const USER = 'ci';
const PASSWORD = 'correct horse';

/** A Secret as `kubectl create secret docker-registry` makes it. */
const dockerConfigSecret = (name: string, host: string, password: string) => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name },
  type: 'kubernetes.io/dockerconfigjson',
  data: { '.dockerconfigjson': Buffer.from(JSON.stringify({ auths: { [host]: { auth: Buffer.from(`${USER}:${password}`).toString('base64') } } })).toString('base64') },
});

const spec = (ref: string, runtimeClass: string) => ({ module: { ref }, limits: { memoryPages: 16, timeoutMs: 1000, concurrency: 4 }, scaling: { minInstances: 1, maxInstances: 1 }, runtimeClass });

describe('private registries: WasmRuntime registryCredentials', () => {
  let w: OperatorWorld;
  let registry: Registry;
  let work: string;
  let ref: string;
  const procs: Proc[] = [];

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'flotilla-regcred-'));
    registry = await startRegistry(join(work, 'registry'), work, { htpasswd: { user: USER, password: PASSWORD } });
    w = await operatorWorld('regcred');
    ref = await publish({ kind: 'registry', registry: registry.host, repository: `private/${uniqueName('hello')}` }, wagiHello('private\n'), { key: w.key, publicPem: publicKeyPem(w.key) }, undefined, {
      credentials: staticCredentials({ [registry.host]: { username: USER, password: PASSWORD } }),
    });
    for (const s of [dockerConfigSecret('regcred', registry.host, PASSWORD), dockerConfigSecret('wrongcred', registry.host, 'battery staple')]) {
      await w.api.request({ method: 'POST', path: `/api/v1/namespaces/${w.ns.name}/secrets`, body: s });
    }
    for (const [name, secrets] of [['private', ['regcred']], ['anonymous', []], ['wrong', ['wrongcred']]] as const) {
      await w.create(WASM_RUNTIME_TYPE, { metadata: { name }, spec: { version: '0.1.0', trustPolicyRef: { name: 'fleet' }, ...(secrets.length > 0 ? { registryCredentials: secrets.map((s) => ({ name: s })) } : {}) } });
    }
  });
  afterAll(async () => {
    for (const p of procs) p.child.kill('SIGKILL');
    await Promise.all(procs.map((p) => p.exited));
    await w?.close();
    await registry?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('the operator verifies with the Secret, and without it refuses with a reason that names the Secret', async () => {
    await w.create(WASM_FUNCTION_TYPE, { metadata: { name: 'with-secret' }, spec: spec(ref, 'private') });
    await w.create(WASM_FUNCTION_TYPE, { metadata: { name: 'no-secret' }, spec: spec(ref, 'anonymous') });
    await w.create(WASM_FUNCTION_TYPE, { metadata: { name: 'wrong-secret' }, spec: spec(ref, 'wrong') });
    await w.waitCondition(WASM_FUNCTION_TYPE, 'with-secret', 'SignatureVerified', { status: 'True' });
    const anonymous = await w.waitCondition(WASM_FUNCTION_TYPE, 'no-secret', 'ModuleAvailable', { status: 'False', reason: 'Unauthorized' });
    expect(condition(anonymous, 'ModuleAvailable')?.message).toMatch(new RegExp(`anonymous access \\(no registry credentials \\(spec\\.registryCredentials of WasmRuntime ${w.ns.name}/anonymous lists no Secret\\)`));
    const wrong = await w.waitCondition(WASM_FUNCTION_TYPE, 'wrong-secret', 'ModuleAvailable', { status: 'False', reason: 'Unauthorized' });
    expect(condition(wrong, 'ModuleAvailable')?.message).toContain(`expected access with the credentials of Secret ${w.ns.name}/wrongcred, got 401`);
    // The credentials are never written anywhere the user reads.
    for (const fn of [anonymous, wrong]) expect(JSON.stringify(fn.status)).not.toMatch(/battery|correct horse|Y2k6/);
  });

  it('a node pulls with the Secret through its own ServiceAccount, and reports a refused pull naming the Secret', async () => {
    const ds = await waitFor(
      () => w.api.request<{ spec: { template: { spec: { containers: { args: string[] }[] } } } }>({ method: 'GET', path: `/apis/apps/v1/namespaces/${w.ns.name}/daemonsets/flotilla-node-private` }).catch(() => undefined),
      { what: 'DaemonSet flotilla-node-private', timeoutMs: 20_000 },
    );
    const args = ds.spec.template.spec.containers[0]!.args;
    expect(args[args.indexOf('--registry-credentials') + 1]).toBe('regcred');
    // What the pod's ServiceAccount may do, not the admin: get exactly regcred.
    const token = (await kubectl(harness().kube.kubeconfig, ['create', 'token', 'flotilla-node-private', '-n', w.ns.name])).trim();
    const kubeconfig = join(work, 'node-private.kubeconfig');
    await writeFile(kubeconfig, kubeconfigYaml(harness().kube.server, readFileSync(harness().kube.caFile, 'utf8'), token, `system:serviceaccount:${w.ns.name}:flotilla-node-private`), { mode: 0o600 });
    const startNode = (name: string) => {
      const p = run(name, [
        ...args.map((a) => a.replace('$(POD_IP)', '127.0.0.1')),
        '--host', '127.0.0.1', '--port', '0', '--admin-port', '0', '--cache-dir', join(work, name, 'cache'), '--state-dir', join(work, name, 'state'),
        '--kubeconfig', kubeconfig, '--node-name', name, '--trust-namespace', w.ns.name, '--lease-seconds', '3', '--log-level', 'debug',
      ]);
      procs.push(p);
      return p;
    };
    const first = startNode('private-1');
    await awaitOutput(first, /"msg":"Node runtime listening"/);
    await w.create(WASM_FUNCTION_TYPE, { metadata: { name: 'pulled' }, spec: spec(ref, 'private') });
    await waitFor(async () => ((await w.get(WASM_FUNCTION_TYPE, 'pulled')).status)?.readyInstances === 1 ? true : undefined, {
      what: 'pulled loaded on private-1',
      timeoutMs: 30_000,
      describe: () => Promise.resolve(first.output.slice(-3000)),
    });

    // The password rotated at the registry, not in the Secret: a node that must pull again is refused, and says which Secret it used.
    await w.api.request({ method: 'PUT', path: `/api/v1/namespaces/${w.ns.name}/secrets/regcred`, body: dockerConfigSecret('regcred', registry.host, 'rotated away') });
    first.child.kill('SIGKILL');
    const second = startNode('private-2');
    await awaitOutput(second, /"msg":"Node runtime listening"/);
    const degraded = await w.waitCondition(WASM_FUNCTION_TYPE, 'pulled', 'Degraded', { status: 'True', reason: 'InstancesFailing' }, 40_000);
    expect(condition(degraded, 'Degraded')?.message).toMatch(new RegExp(`private-2: Unauthorized .*expected access with the credentials of Secret ${w.ns.name}/regcred, got 401`));
    expect(second.output).not.toMatch(/rotated away|correct horse|Y2k6/);
  });
});
