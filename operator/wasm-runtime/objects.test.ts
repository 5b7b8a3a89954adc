import { describe, expect, it } from 'vitest';
import { NODE_PEER_CLUSTER_ROLE, PEER_AUDIENCE, PEER_TOKEN_PATH, validateWasmRuntime } from '../../api/index.ts';
import type { KubeObject } from '../../kube/index.ts';
import type { LiveWasmRuntime } from '../kinds.ts';
import { nodeRuntimeArgs, nodeRuntimeObjects } from './objects.ts';

/** A WasmRuntime as the API server holds it: validated and defaulted. */
function runtime(spec: Record<string, unknown>): LiveWasmRuntime {
  const r = validateWasmRuntime({ apiVersion: 'flotilla.dev/v1alpha1', kind: 'WasmRuntime', metadata: { name: 'edge', namespace: 'fns' }, spec: { version: '0.1.0', trustPolicyRef: { name: 'fleet' }, ...spec } });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return { ...r.value, metadata: { ...r.value.metadata, uid: 'u1' } };
}

const owner = { apiVersion: 'flotilla.dev/v1alpha1', kind: 'WasmRuntime', name: 'edge', uid: 'u1', controller: true, blockOwnerDeletion: true };
const objects = (spec: Record<string, unknown>) => nodeRuntimeObjects(runtime(spec), owner, { repository: 'reg.example/node' }, 'flotilla-system');
/** The value after `flag` in the node's arguments, undefined when the flag is absent. */
const flag = (args: string[], name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);

type Container = { args: string[]; ports: { name: string; containerPort: number; hostPort?: number }[] };
const container = (o: ReturnType<typeof objects>) => (o.daemonSet as unknown as { spec: { template: { spec: { containers: Container[] } } } }).spec.template.spec.containers[0]!;
const serviceSpec = (o: ReturnType<typeof objects>) => (o.service as unknown as { spec: { type: string; externalTrafficPolicy?: string; ports: { port: number; targetPort: string; nodePort?: number }[] } }).spec;

describe('nodeRuntimeArgs: every pool setting the node acts on reaches it as a flag', () => {
  it.each([
    { name: 'API defaults', spec: {}, expected: { '--workers': '2', '--stack-size-kb': '984', '--cache-size-mb': '1024', '--capacity': '100', '--nats-url': undefined } },
    {
      name: 'every field set',
      spec: { engine: { workers: 8, stackSizeKb: 2048 }, cache: { sizeMiB: 64 }, capacity: { functions: 7 }, nats: { url: 'nats://flotilla-nats.flotilla-system.svc:4222' } },
      expected: { '--workers': '8', '--stack-size-kb': '2048', '--cache-size-mb': '64', '--capacity': '7', '--nats-url': 'nats://flotilla-nats.flotilla-system.svc:4222' },
    },
  ])('$name', ({ spec, expected }) => {
    const args = nodeRuntimeArgs(runtime(spec), 'flotilla-system');
    expect(Object.fromEntries(Object.keys(expected).map((k) => [k, flag(args, k)]))).toEqual(expected);
    expect(args.slice(0, 8)).toEqual(['node', '--cluster', '--runtime', 'edge', '--namespace', 'fns', '--trust-namespace', 'flotilla-system']);
  });

  it('passes no --labels: placement takes the Node object\'s labels in the operator (nodes/node-labels.ts)', () => {
    expect(nodeRuntimeArgs(runtime({ nodeSelector: { zone: 'a' } }), 'sys')).not.toContain('--labels');
  });
});

describe('nodeRuntimeObjects', () => {
  it('renders the settings into the pod template only: no settings ConfigMap for nothing to read', () => {
    const o = objects({ engine: { workers: 4 } });
    expect((Object.values(o) as KubeObject[]).map((x) => x.kind).sort()).toEqual(['ClusterRoleBinding', 'DaemonSet', 'Role', 'RoleBinding', 'Service', 'ServiceAccount']);
    expect(container(o).args).toEqual(nodeRuntimeArgs(runtime({ engine: { workers: 4 } }), 'flotilla-system'));
    // A settings change is a pod template change: the DaemonSet rolls.
    expect(JSON.stringify(objects({ engine: { workers: 5 } }).daemonSet)).not.toBe(JSON.stringify(o.daemonSet));
  });

  it.each([
    { name: 'NodePort by default, the port left to the API server', spec: {}, type: 'NodePort', nodePort: undefined, hostPort: undefined },
    { name: 'a chosen nodePort', spec: { service: { nodePort: 30080 } }, type: 'NodePort', nodePort: 30080, hostPort: undefined },
    { name: 'HostPort: 8080 on the node, a ClusterIP Service inside', spec: { service: { type: 'HostPort' } }, type: 'ClusterIP', nodePort: undefined, hostPort: 8080 },
    { name: 'HostPort 80', spec: { service: { type: 'HostPort', hostPort: 80 } }, type: 'ClusterIP', nodePort: undefined, hostPort: 80 },
  ])('Service per pool: $name', ({ spec, type, nodePort, hostPort }) => {
    const o = objects(spec);
    const s = serviceSpec(o);
    expect(s.type).toBe(type);
    expect(s.ports).toEqual([{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP', ...(nodePort !== undefined ? { nodePort } : {}) }]);
    expect(s.externalTrafficPolicy).toBe(type === 'NodePort' ? 'Local' : undefined);
    expect(container(o).ports.find((p) => p.name === 'http')).toEqual({ name: 'http', containerPort: 8080, ...(hostPort !== undefined ? { hostPort } : {}) });
    expect(o.service.metadata.ownerReferences).toEqual([owner]);
    // The Service selects exactly the DaemonSet's pods.
    expect((o.service as unknown as { spec: { selector: unknown } }).spec.selector).toEqual((o.daemonSet as unknown as { spec: { selector: { matchLabels: unknown } } }).spec.selector.matchLabels);
  });

  it.each([
    { name: 'port 8080 by default', service: { type: 'HostNetwork' }, port: 8080 },
    { name: 'the chosen hostPort', service: { type: 'HostNetwork', hostPort: 80 }, port: 80 },
  ])('HostNetwork: the pod runs in its node\'s network namespace and listens on the node\'s address, $name', ({ service, port }) => {
    const o = objects({ service });
    const pod = (o.daemonSet as unknown as { spec: { template: { spec: { hostNetwork?: boolean; dnsPolicy?: string } } } }).spec.template.spec;
    expect(pod).toMatchObject({ hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' });
    const args = container(o).args;
    // Its pod IP is the node's address: not 0.0.0.0, which would take the port on loopback too.
    expect([flag(args, '--host'), flag(args, '--port'), flag(args, '--admin-port')]).toEqual(['$(POD_IP)', String(port), '9090']);
    // No hostPort: under hostNetwork the container port is the node's port.
    expect(container(o).ports.find((p) => p.name === 'http')).toEqual({ name: 'http', containerPort: port });
    expect(serviceSpec(o).type).toBe('ClusterIP');
    const plain = objects({});
    expect((plain.daemonSet as unknown as { spec: { template: { spec: { hostNetwork?: boolean } } } }).spec.template.spec.hostNetwork).toBeUndefined();
    expect(flag(container(plain).args, '--host')).toBe('0.0.0.0');
  });

  it('registry credentials: the node may get exactly the pool\'s Secrets, and is told their names, never their content', () => {
    const o = objects({ registryCredentials: [{ name: 'regcred' }, { name: 'mirror' }] });
    expect((o.role as unknown as { rules: unknown[] }).rules).toContainEqual({ apiGroups: [''], resources: ['secrets'], resourceNames: ['regcred', 'mirror'], verbs: ['get'] });
    expect(flag(container(o).args, '--registry-credentials')).toBe('regcred,mirror');
    const none = objects({});
    expect(JSON.stringify(none.role)).not.toContain('secrets');
    expect(container(none).args).not.toContain('--registry-credentials');
  });

  it('NATS credentials: the pool\'s Secret is mounted, only its seed, and passed as --nats-creds; the node\'s Role reads no Secret', () => {
    const o = objects({ nats: { url: 'nats://n.flotilla-system.svc:4222', credentialsSecret: 'nats-edge' } });
    expect(flag(container(o).args, '--nats-creds')).toBe('/var/run/flotilla/nats/seed');
    expect((container(o) as unknown as { volumeMounts: unknown[] }).volumeMounts).toContainEqual({ name: 'nats-creds', mountPath: '/var/run/flotilla/nats', readOnly: true });
    const volumes = (o.daemonSet as unknown as { spec: { template: { spec: { volumes: unknown[] } } } }).spec.template.spec.volumes;
    expect(volumes).toContainEqual({ name: 'nats-creds', secret: { secretName: 'nats-edge', items: [{ key: 'seed', path: 'seed' }], defaultMode: 0o444 } });
    expect(JSON.stringify(o.role)).not.toContain('secrets');
    const plain = objects({ nats: { url: 'nats://n.flotilla-system.svc:4222' } });
    expect(container(plain).args).not.toContain('--nats-creds');
    expect(JSON.stringify(plain.daemonSet)).not.toContain('nats-creds');
  });

  it('node identity: the pod gets a projected flotilla-peer token it is told to send, and its ServiceAccount is bound to TokenReview only', () => {
    const o = objects({});
    expect(flag(container(o).args, '--peer-token-file')).toBe(PEER_TOKEN_PATH);
    const pod = (o.daemonSet as unknown as { spec: { template: { spec: { volumes: { name: string; projected?: unknown }[] } } } }).spec.template.spec;
    expect(pod.volumes.find((v) => v.name === 'peer-token')?.projected).toEqual({ sources: [{ serviceAccountToken: { audience: PEER_AUDIENCE, expirationSeconds: 600, path: 'token' } }] });
    expect(JSON.stringify(container(o))).toContain(PEER_TOKEN_PATH.slice(0, PEER_TOKEN_PATH.lastIndexOf('/')));
    const binding = o.peerReviewBinding as unknown as { metadata: { ownerReferences?: unknown }; roleRef: { name: string }; subjects: unknown[] };
    expect(binding.roleRef.name).toBe(NODE_PEER_CLUSTER_ROLE);
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: (o.serviceAccount.metadata as { name: string }).name, namespace: (o.serviceAccount.metadata as { namespace: string }).namespace }]);
    // Cluster scoped: a namespaced owner would be an invalid reference.
    expect(binding.metadata.ownerReferences).toBeUndefined();
  });
});
