/**
 * The Flotilla system components of a cluster: the operator (Deployment, ServiceAccount, RBAC).
 * The node runtimes are not rendered here: the operator applies a DaemonSet (with its Service,
 * ServiceAccount, Role and RoleBinding) per WasmRuntime, for the pool's node selector and version,
 * which is why its ClusterRole may manage those kinds. The ClusterRoles are rendered from the
 * declared API calls of api/rbac.ts. Images are pinned by digest.
 */
import { Construct } from 'constructs';
import { ApiObject, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-33';
import { NODE_PEER_CALLS, NODE_PEER_CLUSTER_ROLE, NODE_RUNTIME_POD_LABELS, OPERATOR_CALLS, RBAC_NAMES, STATUS_CALLS, pinnedDigest, rulesFor } from '../api/index.ts';

const RBAC_API = 'rbac.authorization.k8s.io/v1';

export const OPERATOR_LABELS = { 'app.kubernetes.io/name': 'flotilla-operator', 'app.kubernetes.io/part-of': 'flotilla' };
/** Labels of the node runtime pods the operator's DaemonSets create. */
export const NODE_RUNTIME_LABELS: Record<string, string> = { ...NODE_RUNTIME_POD_LABELS };
/** Port of /metrics, /healthz, /readyz. */
export const METRICS_PORT = 9090;
/** Port functions are served on by each node runtime. */
export const HTTP_PORT = 8080;
/** Each node runtime's admin port: /metrics, probes, forwarding between nodes (the operator's DaemonSet renders the same). */
export const NODE_ADMIN_PORT = 9090;

export interface FlotillaSystemProps {
  readonly namespace: string;
  /** Operator image, pinned by digest. */
  readonly operatorImage: string;
  /** Node runtime images by version, pinned by digest (checked here): the operator's DaemonSets run only these. */
  readonly nodeRuntimeImages: Readonly<Record<string, string>>;
  /** Operator replicas (one leads through a Lease).
   * @default 2 */
  readonly operatorReplicas?: number;
  /** The one namespace the operator reconciles (`--watch-namespace`).
   * @default every namespace */
  readonly watchNamespace?: string;
  /** The operator's pino log level (`--log-level`).
   * @default "info" */
  readonly logLevel?: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
  /** Run the operator pods in their node's network namespace: for a site with no pod network route to the API server (no kube-proxy).
   * @default false */
  readonly hostNetwork?: boolean;
  /** Port of the operator's /metrics, /healthz and /readyz (under hostNetwork it is a port of the node).
   * @default 9090 */
  readonly metricsPort?: number;
}

/** Operator + node runtime of one cluster. */
export class FlotillaSystem extends Construct {
  constructor(scope: Construct, id: string, props: FlotillaSystemProps) {
    super(scope, id);
    const nodeImages = Object.entries(props.nodeRuntimeImages).sort(([a], [b]) => a.localeCompare(b));
    if (nodeImages.length === 0) throw new Error('FlotillaSystem nodeRuntimeImages: expected at least one version -> image pinned by @sha256:<64 hex>, got none');
    for (const [prop, image] of [['operatorImage', props.operatorImage], ...nodeImages.map(([v, image]) => [`nodeRuntimeImages[${v}]`, image] as const)] as const) {
      if (pinnedDigest(image) === undefined) throw new Error(`FlotillaSystem ${prop}: expected an image pinned by @sha256:<64 hex>, got ${JSON.stringify(image)}`);
    }
    const ns = props.namespace;
    const metricsPort = props.metricsPort ?? METRICS_PORT;
    if (!Number.isInteger(metricsPort) || metricsPort < 1 || metricsPort > 65535) throw new Error(`FlotillaSystem metricsPort: expected a port 1-65535, got ${JSON.stringify(props.metricsPort)}`);

    const operatorSa = new kplus.ServiceAccount(this, 'OperatorServiceAccount', { metadata: { name: 'flotilla-operator', namespace: ns, labels: OPERATOR_LABELS } });
    // Rendered from the declared calls (api/rbac.ts), nothing granted by hand.
    const role = new ApiObject(this, 'OperatorRole', { apiVersion: RBAC_API, kind: 'ClusterRole', metadata: { name: RBAC_NAMES.operator, labels: OPERATOR_LABELS }, rules: rulesFor(OPERATOR_CALLS) });
    // Node identity: each pool's nodes check their peers' tokens with TokenReview (cluster scoped, so
    // no Role can grant it); the operator binds each pool's ServiceAccount to this role and to no other.
    new ApiObject(this, 'NodePeerRole', { apiVersion: RBAC_API, kind: 'ClusterRole', metadata: { name: NODE_PEER_CLUSTER_ROLE, labels: OPERATOR_LABELS }, rules: rulesFor(NODE_PEER_CALLS) });
    // `flotilla status` for a user or CI identity: bind it to whoever may look; it lists WasmFunctions only.
    new ApiObject(this, 'StatusRole', { apiVersion: RBAC_API, kind: 'ClusterRole', metadata: { name: RBAC_NAMES.status, labels: OPERATOR_LABELS }, rules: rulesFor(STATUS_CALLS) });
    new ApiObject(this, 'OperatorBinding', {
      apiVersion: RBAC_API,
      kind: 'ClusterRoleBinding',
      metadata: { name: RBAC_NAMES.operator, labels: OPERATOR_LABELS },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role.name },
      subjects: [{ kind: 'ServiceAccount', name: operatorSa.name, namespace: ns }],
    });

    const operator = new kplus.Deployment(this, 'Operator', {
      metadata: { name: 'flotilla-operator', namespace: ns, labels: OPERATOR_LABELS },
      replicas: props.operatorReplicas ?? 2,
      serviceAccount: operatorSa,
      automountServiceAccountToken: true,
      podMetadata: { labels: OPERATOR_LABELS },
      select: false,
      ...(props.hostNetwork === true ? { hostNetwork: true, dns: { policy: kplus.DnsPolicy.CLUSTER_FIRST_WITH_HOST_NET } } : {}),
    });
    operator.select(kplus.LabelSelector.of({ labels: OPERATOR_LABELS }));
    operator.addContainer({
      name: 'operator',
      image: props.operatorImage,
      // The operator's node DaemonSets run the image pinned for their WasmRuntime's version, never a tag.
      args: [
        'operator', '--namespace', ns, '--listen', `0.0.0.0:${metricsPort}`,
        ...(props.watchNamespace !== undefined ? ['--watch-namespace', props.watchNamespace] : []),
        ...(props.logLevel !== undefined ? ['--log-level', props.logLevel] : []),
        '--node-image', (nodeImages[0]?.[1] ?? '').replace(/@[^@]*$/, ''),
        ...nodeImages.flatMap(([v, image]) => ['--node-image-pin', `${v}=${image}`]),
        '--require-pinned-node-images',
      ],
      portNumber: metricsPort,
      liveness: kplus.Probe.fromHttpGet('/healthz', { port: metricsPort }),
      readiness: kplus.Probe.fromHttpGet('/readyz', { port: metricsPort }),
      resources: { cpu: { request: kplus.Cpu.millis(50), limit: kplus.Cpu.millis(500) }, memory: { request: Size.mebibytes(64), limit: Size.mebibytes(256) } },
      securityContext: { ensureNonRoot: true, user: 65532, group: 65532, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false },
    });
  }
}
