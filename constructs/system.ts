/**
 * The Flotilla system components of a cluster: the operator (Deployment, ServiceAccount, RBAC) and
 * the node runtime DaemonSet. Images are pinned by digest; the node runtime runs one pod per node of
 * the pools and gets the node name from the downward API.
 */
import { Construct } from 'constructs';
import { Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-33';
import { GROUP } from '../api/index.ts';

export const OPERATOR_LABELS = { 'app.kubernetes.io/name': 'flotilla-operator', 'app.kubernetes.io/part-of': 'flotilla' };
export const NODE_RUNTIME_LABELS = { 'app.kubernetes.io/name': 'flotilla-node-runtime', 'app.kubernetes.io/part-of': 'flotilla' };
/** Port of /metrics, /healthz, /readyz. */
export const METRICS_PORT = 9090;
/** Port functions are served on by each node runtime. */
export const HTTP_PORT = 8080;

export interface FlotillaSystemProps {
  readonly namespace: string;
  /** Operator image, pinned by digest. */
  readonly operatorImage: string;
  /** Node runtime image, pinned by digest. */
  readonly nodeRuntimeImage: string;
  /** Operator replicas (one leads through a Lease).
   * @default 2 */
  readonly operatorReplicas?: number;
}

const DIGEST_PINNED = /@sha256:[a-f0-9]{64}$/;

/** Operator + node runtime of one cluster. */
export class FlotillaSystem extends Construct {
  constructor(scope: Construct, id: string, props: FlotillaSystemProps) {
    super(scope, id);
    for (const [prop, image] of [['operatorImage', props.operatorImage], ['nodeRuntimeImage', props.nodeRuntimeImage]] as const) {
      if (!DIGEST_PINNED.test(image)) throw new Error(`FlotillaSystem ${prop}: expected an image pinned by @sha256:<64 hex>, got ${JSON.stringify(image)}`);
    }
    const ns = props.namespace;

    const operatorSa = new kplus.ServiceAccount(this, 'OperatorServiceAccount', { metadata: { name: 'flotilla-operator', namespace: ns, labels: OPERATOR_LABELS } });
    const role = new kplus.ClusterRole(this, 'OperatorRole', { metadata: { name: 'flotilla-operator', labels: OPERATOR_LABELS } });
    const flotilla = ['wasmfunctions', 'wasmruntimes', 'functiontriggers', 'functionroutes'];
    role.allow(['get', 'list', 'watch', 'update', 'patch'], ...flotilla.map((r) => kplus.ApiResource.custom({ apiGroup: GROUP, resourceType: r })));
    role.allow(['get', 'update', 'patch'], ...flotilla.map((r) => kplus.ApiResource.custom({ apiGroup: GROUP, resourceType: `${r}/status` })));
    role.allow(['get', 'update', 'patch'], kplus.ApiResource.custom({ apiGroup: GROUP, resourceType: 'wasmfunctions/scale' }));
    role.allow(['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'], kplus.ApiResource.custom({ apiGroup: 'coordination.k8s.io', resourceType: 'leases' }));
    role.allow(['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'], kplus.ApiResource.CONFIG_MAPS);
    role.allow(['create', 'patch'], kplus.ApiResource.custom({ apiGroup: 'events.k8s.io', resourceType: 'events' }), kplus.ApiResource.EVENTS);
    role.allow(['get', 'list', 'watch'], kplus.ApiResource.NODES, kplus.ApiResource.SECRETS);
    role.allow(['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'], kplus.ApiResource.DAEMON_SETS);
    const binding = new kplus.ClusterRoleBinding(this, 'OperatorBinding', { metadata: { name: 'flotilla-operator', labels: OPERATOR_LABELS }, role });
    binding.addSubjects(operatorSa);

    const operator = new kplus.Deployment(this, 'Operator', {
      metadata: { name: 'flotilla-operator', namespace: ns, labels: OPERATOR_LABELS },
      replicas: props.operatorReplicas ?? 2,
      serviceAccount: operatorSa,
      automountServiceAccountToken: true,
      podMetadata: { labels: OPERATOR_LABELS },
      select: false,
    });
    operator.select(kplus.LabelSelector.of({ labels: OPERATOR_LABELS }));
    operator.addContainer({
      name: 'operator',
      image: props.operatorImage,
      args: ['operator', '--namespace', ns, '--listen', `0.0.0.0:${METRICS_PORT}`],
      portNumber: METRICS_PORT,
      liveness: kplus.Probe.fromHttpGet('/healthz', { port: METRICS_PORT }),
      readiness: kplus.Probe.fromHttpGet('/readyz', { port: METRICS_PORT }),
      resources: { cpu: { request: kplus.Cpu.millis(50), limit: kplus.Cpu.millis(500) }, memory: { request: Size.mebibytes(64), limit: Size.mebibytes(256) } },
      securityContext: { ensureNonRoot: true, user: 65532, group: 65532, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false },
    });

    const runtimeSa = new kplus.ServiceAccount(this, 'NodeRuntimeServiceAccount', { metadata: { name: 'flotilla-node-runtime', namespace: ns, labels: NODE_RUNTIME_LABELS } });
    const runtimeRole = new kplus.ClusterRole(this, 'NodeRuntimeRole', { metadata: { name: 'flotilla-node-runtime', labels: NODE_RUNTIME_LABELS } });
    runtimeRole.allow(['get', 'list', 'watch'], ...flotilla.map((r) => kplus.ApiResource.custom({ apiGroup: GROUP, resourceType: r })), kplus.ApiResource.CONFIG_MAPS, kplus.ApiResource.SECRETS);
    runtimeRole.allow(['get', 'create', 'update', 'patch'], kplus.ApiResource.custom({ apiGroup: 'coordination.k8s.io', resourceType: 'leases' }));
    const runtimeBinding = new kplus.ClusterRoleBinding(this, 'NodeRuntimeBinding', { metadata: { name: 'flotilla-node-runtime', labels: NODE_RUNTIME_LABELS }, role: runtimeRole });
    runtimeBinding.addSubjects(runtimeSa);

    const cache = kplus.Volume.fromHostPath(this, 'ModuleCache', 'module-cache', { path: '/var/lib/flotilla/cache', type: kplus.HostPathVolumeType.DIRECTORY_OR_CREATE });
    const ds = new kplus.DaemonSet(this, 'NodeRuntime', {
      metadata: { name: 'flotilla-node-runtime', namespace: ns, labels: NODE_RUNTIME_LABELS },
      serviceAccount: runtimeSa,
      automountServiceAccountToken: true,
      podMetadata: { labels: NODE_RUNTIME_LABELS },
      select: false,
    });
    ds.select(kplus.LabelSelector.of({ labels: NODE_RUNTIME_LABELS }));
    const c = ds.addContainer({
      name: 'node-runtime',
      image: props.nodeRuntimeImage,
      args: ['node-runtime', '--cluster', '--namespace', ns, '--listen', `0.0.0.0:${HTTP_PORT}`, '--metrics', `0.0.0.0:${METRICS_PORT}`, '--cache-dir', '/var/lib/flotilla/cache'],
      ports: [{ number: HTTP_PORT, name: 'http' }, { number: METRICS_PORT, name: 'metrics' }],
      envVariables: { NODE_NAME: kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.NODE_NAME) },
      liveness: kplus.Probe.fromHttpGet('/healthz', { port: METRICS_PORT }),
      readiness: kplus.Probe.fromHttpGet('/readyz', { port: METRICS_PORT }),
      resources: { cpu: { request: kplus.Cpu.millis(100), limit: kplus.Cpu.millis(2000) }, memory: { request: Size.mebibytes(128), limit: Size.gibibytes(2) } },
      securityContext: { ensureNonRoot: true, user: 65532, group: 65532, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false },
    });
    c.mount('/var/lib/flotilla/cache', cache);
  }
}
