import type { LiveWasmRuntime } from '../kinds.ts';
import { NODE_PEER_CLUSTER_ROLE, NODE_RUNTIME_POD_LABELS, nodeCalls, nodeRuntimeName, PEER_AUDIENCE, PEER_TOKEN_PATH, rulesFor, RUNTIME_LABEL } from '../../api/index.ts';
import type { KubeObject, OwnerReference } from '../../kube/index.ts';

export interface NodeRuntimeObjects {
  readonly serviceAccount: KubeObject;
  readonly role: KubeObject;
  readonly roleBinding: KubeObject;
  /** Cluster scoped, so without an owner: binds the pool's ServiceAccount to NODE_PEER_CLUSTER_ROLE (TokenReview of its peers' tokens). */
  readonly peerReviewBinding: KubeObject;
  readonly daemonSet: KubeObject;
  readonly service: KubeObject;
}

/** The node runtime's tenant port in the pod (functions' routes) and its admin port (probes, metrics, peers). */
export const NODE_PORTS = { http: 8080, admin: 9090 } as const;

/**
 * The `flotilla node --cluster` arguments that carry a pool's settings: every WasmRuntime field the
 * node acts on reaches it here, as a flag (cli/commands/node.ts), so there is no settings file for
 * anything to forget to read. Placement fields (nodeSelector, ceilings, hostPaths) act in the
 * operator and reach the node through its assignment.
 */
/** Where the pool's NATS credentials Secret is mounted (read-only, the kubelet's projection: no Secret read by the node's Role). */
const NATS_CREDS_DIR = '/var/run/flotilla/nats';

export function nodeRuntimeArgs(runtime: LiveWasmRuntime, trustNamespace: string): string[] {
  const { spec } = runtime;
  // In the node's network namespace the pod IP is the node's address: binding it (not 0.0.0.0)
  // leaves the node's other addresses, loopback included, to whatever else runs there.
  const host = spec.service.type === 'HostNetwork' ? '$(POD_IP)' : '0.0.0.0';
  return [
    'node', '--cluster', '--runtime', runtime.metadata.name, '--namespace', runtime.metadata.namespace ?? 'default', '--trust-namespace', trustNamespace,
    '--host', host, '--advertise-host', '$(POD_IP)', '--port', String(tenantPort(runtime)), '--admin-port', String(NODE_PORTS.admin),
    '--cache-dir', '/var/cache/flotilla', '--state-dir', '/var/lib/flotilla/state', '--peer-token-file', PEER_TOKEN_PATH,
    '--workers', String(spec.engine.workers), '--stack-size-kb', String(spec.engine.stackSizeKb),
    '--cache-size-mb', String(spec.cache.sizeMiB), '--capacity', String(spec.capacity.functions),
    ...(spec.nats ? ['--nats-url', spec.nats.url] : []),
    ...(spec.nats?.credentialsSecret !== undefined ? ['--nats-creds', `${NATS_CREDS_DIR}/seed`] : []),
    ...(spec.registryCredentials?.length ? ['--registry-credentials', spec.registryCredentials.map((s) => s.name).join(',')] : []),
  ];
}

/** The port the node serves functions on in its pod: under HostNetwork the pod's port is the node's, so it is the pool's hostPort. */
function tenantPort(runtime: LiveWasmRuntime): number {
  const { service } = runtime.spec;
  return service.type === 'HostNetwork' ? (service.hostPort ?? NODE_PORTS.http) : NODE_PORTS.http;
}

/**
 * What a real cluster needs to run a pool's node runtimes: a ServiceAccount allowed to renew its
 * node Lease, read its assignments and get the pool's registry credential Secrets (by name: the
 * credentials never pass through an assignment, a Lease or an argument), a DaemonSet on the pool's nodes running the pool's settings
 * as arguments (a change of version or settings changes the pod template, so it rolls), and the
 * Service clients reach the pool through. Pure: the reconciler applies the result.
 */
export function nodeRuntimeObjects(runtime: LiveWasmRuntime, owner: OwnerReference, image: { repository: string; pinned?: string }, trustNamespace: string): NodeRuntimeObjects {
  const name = nodeRuntimeName(runtime.metadata.name);
  const namespace = runtime.metadata.namespace ?? 'default';
  const labels = { ...NODE_RUNTIME_POD_LABELS, 'app.kubernetes.io/managed-by': 'flotilla-operator', [RUNTIME_LABEL]: runtime.metadata.name };
  const selector = { [RUNTIME_LABEL]: runtime.metadata.name, ...NODE_RUNTIME_POD_LABELS };
  const metadata = { name, namespace, labels, ownerReferences: [owner] };
  const { service } = runtime.spec;
  const hostPort = service.type === 'HostPort' ? { hostPort: service.hostPort ?? NODE_PORTS.http } : {};
  // kubelet's own cluster DNS still resolves for the pod in the node's network namespace.
  const hostNetwork = service.type === 'HostNetwork' ? { hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' } : {};
  const pullSecrets = (runtime.spec.registryCredentials ?? []).map((s) => s.name);
  const natsCreds = runtime.spec.nats?.credentialsSecret;
  return {
    serviceAccount: { apiVersion: 'v1', kind: 'ServiceAccount', metadata },
    role: {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata,
      // Exactly the node's declared calls (api/rbac.ts); which Lease it may write is the admission policy's job (api/node-lease-policy.ts).
      rules: rulesFor(nodeCalls(pullSecrets)),
    } as KubeObject,
    roleBinding: {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata,
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [{ kind: 'ServiceAccount', name, namespace }],
    } as KubeObject,
    // A cluster-scoped object cannot be owned by a namespaced one: named after the pool so each pool has its own, and re-applied with the others.
    peerReviewBinding: {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: `${NODE_PEER_CLUSTER_ROLE}-${namespace}-${name}`, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: NODE_PEER_CLUSTER_ROLE },
      subjects: [{ kind: 'ServiceAccount', name, namespace }],
    } as KubeObject,
    daemonSet: {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata,
      spec: {
        selector: { matchLabels: selector },
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: name,
            ...hostNetwork,
            nodeSelector: runtime.spec.nodeSelector ?? {},
            // Below the kubelet's default 30 s: the node drains its in-flight requests within
            // --shutdown-grace-ms (10 s) after SIGTERM and exits before a SIGKILL could cut them.
            terminationGracePeriodSeconds: 30,
            containers: [
              {
                name: 'node-runtime',
                image: image.pinned ?? `${image.repository}:${runtime.spec.version}`,
                // The node serves functions on the http port and /metrics, /healthz, /readyz and its
                // peers' forwarded requests on the admin port, keeps its module cache and the
                // functions' disk state (spec.state.store: disk) on the hostPaths below (the root
                // filesystem is read-only), and reads the trust policy where the operator does
                // (reading it is granted by the cluster's constructs, which own that namespace).
                args: nodeRuntimeArgs(runtime, trustNamespace),
                // NODE_NAME: its Lease's node, which the operator matches to the Node object for its labels (placement).
                // POD_IP: where the pool's other nodes forward requests for the functions this one runs (its Lease's endpoint).
                env: [
                  { name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
                  { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
                ],
                ports: [{ name: 'http', containerPort: tenantPort(runtime), ...hostPort }, { name: 'admin', containerPort: NODE_PORTS.admin }],
                readinessProbe: { httpGet: { path: '/readyz', port: 'admin' } },
                // The admin port opens only once the node has loaded its assignment (tens of seconds
                // on a busy node): the liveness probe alone (3 x 10 s) killed pods just as they came up.
                startupProbe: { httpGet: { path: '/healthz', port: 'admin' }, periodSeconds: 2, failureThreshold: 90 },
                livenessProbe: { httpGet: { path: '/healthz', port: 'admin' } },
                // peer-token: the node's identity to its peers (audience flotilla-peer), bound to this pod and refreshed by the kubelet.
                volumeMounts: [
                  { name: 'cache', mountPath: '/var/cache/flotilla' },
                  { name: 'state', mountPath: '/var/lib/flotilla/state' },
                  { name: 'peer-token', mountPath: PEER_TOKEN_PATH.slice(0, PEER_TOKEN_PATH.lastIndexOf('/')), readOnly: true },
                  ...(natsCreds !== undefined ? [{ name: 'nats-creds', mountPath: NATS_CREDS_DIR, readOnly: true }] : []),
                ],
                securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } },
              },
            ],
            volumes: [
              { name: 'cache', hostPath: { path: `/var/cache/flotilla/${namespace}/${runtime.metadata.name}`, type: 'DirectoryOrCreate' } },
              { name: 'state', hostPath: { path: `/var/lib/flotilla/state/${namespace}/${runtime.metadata.name}`, type: 'DirectoryOrCreate' } },
              { name: 'peer-token', projected: { sources: [{ serviceAccountToken: { audience: PEER_AUDIENCE, expirationSeconds: 600, path: PEER_TOKEN_PATH.slice(PEER_TOKEN_PATH.lastIndexOf('/') + 1) } }] } },
              // Only the seed. 0444: the node runs as a non-root user without fsGroup, and the mount is this container's alone.
              ...(natsCreds !== undefined ? [{ name: 'nats-creds', secret: { secretName: natsCreds, items: [{ key: 'seed', path: 'seed' }], defaultMode: 0o444 } }] : []),
            ],
          },
        },
      },
    } as KubeObject,
    service: {
      apiVersion: 'v1',
      kind: 'Service',
      metadata,
      spec: {
        type: service.type === 'NodePort' ? 'NodePort' : 'ClusterIP',
        selector,
        // Local: a request is served by the node runtime of the node it reached (every node routes
        // every function of its pool and forwards itself), without a kube-proxy hop on top, and
        // the function sees the client's address.
        ...(service.type === 'NodePort' ? { externalTrafficPolicy: 'Local' } : {}),
        ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP', ...(service.nodePort !== undefined ? { nodePort: service.nodePort } : {}) }],
      },
    } as KubeObject,
  };
}
