import { createHash } from 'node:crypto';
import type { LiveWasmRuntime } from '../kinds.ts';
import { NODE_RUNTIME_POD_LABELS, nodeRuntimeName, RUNTIME_LABEL } from '../../api/index.ts';
import type { KubeObject, OwnerReference } from '../../kube/index.ts';


export interface NodeRuntimeObjects {
  readonly serviceAccount: KubeObject;
  readonly role: KubeObject;
  readonly roleBinding: KubeObject;
  readonly configMap: KubeObject;
  readonly daemonSet: KubeObject;
}

/**
 * What a real cluster needs to run a pool's node runtimes: a ServiceAccount allowed to renew its
 * node Lease and read its assignments, the pool's settings as a ConfigMap, and a DaemonSet on the
 * pool's nodes. Pure: the reconciler applies the result. The image tag is the runtime version, and
 * the pod template carries a hash of the settings, so changing either rolls the DaemonSet.
 */
export function nodeRuntimeObjects(runtime: LiveWasmRuntime, owner: OwnerReference, image: { repository: string; pinned?: string }, trustNamespace: string): NodeRuntimeObjects {
  const name = nodeRuntimeName(runtime.metadata.name);
  const namespace = runtime.metadata.namespace ?? 'default';
  const labels = { ...NODE_RUNTIME_POD_LABELS, 'app.kubernetes.io/managed-by': 'flotilla-operator', [RUNTIME_LABEL]: runtime.metadata.name };
  const metadata = { name, namespace, labels, ownerReferences: [owner] };
  const settings = JSON.stringify({
    engine: runtime.spec.engine,
    defaults: runtime.spec.defaults ?? {},
    ceilings: runtime.spec.ceilings ?? {},
    cache: runtime.spec.cache,
    warmPool: runtime.spec.warmPool,
    trustPolicy: runtime.spec.trustPolicyRef.name,
  });
  const settingsHash = createHash('sha256').update(settings).digest('hex').slice(0, 16);
  return {
    serviceAccount: { apiVersion: 'v1', kind: 'ServiceAccount', metadata },
    role: {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata,
      rules: [
        { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch'] },
        { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: ['create'] },
      ],
    } as KubeObject,
    roleBinding: {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata,
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [{ kind: 'ServiceAccount', name, namespace }],
    } as KubeObject,
    configMap: { apiVersion: 'v1', kind: 'ConfigMap', metadata, data: { 'runtime.json': settings } } as KubeObject,
    daemonSet: {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata,
      spec: {
        selector: { matchLabels: { [RUNTIME_LABEL]: runtime.metadata.name, ...NODE_RUNTIME_POD_LABELS } },
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
        template: {
          metadata: { labels, annotations: { 'flotilla.dev/settings-hash': settingsHash } },
          spec: {
            serviceAccountName: name,
            nodeSelector: runtime.spec.nodeSelector ?? {},
            containers: [
              {
                name: 'node-runtime',
                image: image.pinned ?? `${image.repository}:${runtime.spec.version}`,
                // flotilla node --cluster (cli/commands/node.ts); the node serves functions on the http
                // port and /metrics, /healthz, /readyz and its peers' forwarded requests on the admin port, keeps its module cache and the functions' disk
                // state (spec.state.store: disk) on the hostPaths below (the root filesystem is read-only), and
                // reads the trust policy where the operator does (reading it is granted by the
                // cluster's constructs, which own that namespace).
                args: ['node', '--cluster', '--runtime', runtime.metadata.name, '--namespace', namespace, '--trust-namespace', trustNamespace, '--host', '0.0.0.0', '--advertise-host', '$(POD_IP)', '--port', '8080', '--admin-port', '9090', '--cache-dir', '/var/cache/flotilla', '--state-dir', '/var/lib/flotilla/state'],
                // POD_IP: where the pool's other nodes forward requests for the functions this one runs (its Lease's endpoint).
                env: [
                  { name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
                  { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
                ],
                ports: [{ name: 'http', containerPort: 8080 }, { name: 'admin', containerPort: 9090 }],
                readinessProbe: { httpGet: { path: '/readyz', port: 'admin' } },
                livenessProbe: { httpGet: { path: '/healthz', port: 'admin' } },
                volumeMounts: [{ name: 'cache', mountPath: '/var/cache/flotilla' }, { name: 'state', mountPath: '/var/lib/flotilla/state' }, { name: 'settings', mountPath: '/etc/flotilla', readOnly: true }],
                securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } },
              },
            ],
            volumes: [
              { name: 'cache', hostPath: { path: `/var/cache/flotilla/${namespace}/${runtime.metadata.name}`, type: 'DirectoryOrCreate' } },
              { name: 'state', hostPath: { path: `/var/lib/flotilla/state/${namespace}/${runtime.metadata.name}`, type: 'DirectoryOrCreate' } },
              { name: 'settings', configMap: { name } },
            ],
          },
        },
      },
    } as KubeObject,
  };
}
