/**
 * NetworkPolicies confining node runtimes: nothing in or out unless listed. In: the HTTP port, which
 * serves functions, from anywhere; the admin port (/metrics, /healthz, /readyz, and the peer path
 * forwarded requests take, node-runtime/http/peer.ts) from the pool's own pods only, so no client
 * can pose as a forwarding node (the kubelet's probes are always let through; a metrics scraper
 * needs a rule of its own). Out: DNS, the API server, the
 * module registry, the event brokers the cluster declares (NATS, MQTT: triggers, chains across
 * nodes, shared state) and the CIDRs it declares for functions' allowed hosts (NetworkPolicy is
 * L3/L4; the runtime itself enforces the host names per function), and the other node runtimes
 * on the admin port: a node forwards a request for a function it does not run to a node that does
 * (node-runtime/http/forward.ts), and the cluster's own NATS when it installs one (reachable by
 * node runtimes only). Nodes never talk to the operator directly: assignments and reports go
 * through the API server.
 */

/** A destination by address block and ports. */
export interface EgressTarget {
  readonly cidr: string;
  readonly ports: readonly number[];
}

export interface RuntimeNetworkProps {
  /** The operator's namespace. */
  readonly namespace: string;
  /** Where the node runtime pods run: the WasmRuntimes' namespace, in which the operator applies their DaemonSets. */
  readonly runtimeNamespace: string;
  /** Labels of the node runtime pods. */
  readonly runtimeLabels: Record<string, string>;
  /** Labels of the operator pods. */
  readonly operatorLabels: Record<string, string>;
  readonly registry: EgressTarget;
  readonly apiServer: EgressTarget;
  /** Hosts functions may reach (their capabilities.allowedHosts), as CIDRs. */
  readonly functionEgress: readonly EgressTarget[];
  /** NATS and MQTT brokers the node runtimes use (event triggers, chaining across nodes, spec.state.store: nats). */
  readonly eventBrokers?: readonly EgressTarget[];
  /** Port functions are served on. */
  readonly httpPort: number;
  /** The nodes' admin port: /metrics, /healthz, /readyz and forwarding between nodes. */
  readonly adminPort: number;
  /** The cluster's own NATS, in the operator's namespace (constructs/nats.ts): node runtimes may reach its client port, nobody else. */
  readonly nats?: { readonly labels: Record<string, string>; readonly port: number };
}

const to = (t: EgressTarget) => ({ to: [{ ipBlock: { cidr: t.cidr } }], ports: t.ports.map((port) => ({ protocol: 'TCP', port })) });

/** Default deny for the operator's and the runtimes' namespaces, then the runtime's and the operator's allowances. */
export function runtimeNetworkPolicies(p: RuntimeNetworkProps): Record<string, unknown>[] {
  const meta = (name: string, namespace = p.namespace) => ({ name, namespace, labels: { 'app.kubernetes.io/part-of': 'flotilla' } });
  const rt = p.runtimeNamespace;
  const denyAll = (namespace: string) => ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: meta('default-deny', namespace), spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] } });
  const dns = { to: [{ namespaceSelector: {}, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }], ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }] };
  // Forwarding between the nodes of a pool (they all run in the runtimes' namespace, the policy's own).
  const peers = { to: [{ podSelector: { matchLabels: p.runtimeLabels } }], ports: [{ protocol: 'TCP', port: p.adminPort }] };
  const inNamespace = (namespace: string, labels: Record<string, string>) => ({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': namespace } }, podSelector: { matchLabels: labels } });
  const nats = p.nats;
  return [
    denyAll(p.namespace),
    ...(rt === p.namespace ? [] : [denyAll(rt)]),
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: meta('node-runtime', rt),
      spec: {
        podSelector: { matchLabels: p.runtimeLabels },
        policyTypes: ['Ingress', 'Egress'],
        ingress: [{ ports: [{ protocol: 'TCP', port: p.httpPort }] }, { from: [{ podSelector: { matchLabels: p.runtimeLabels } }], ports: [{ protocol: 'TCP', port: p.adminPort }] }],
        egress: [
          dns, to(p.apiServer), to(p.registry), ...(p.eventBrokers ?? []).map(to), ...p.functionEgress.map(to), peers,
          ...(nats ? [{ to: [inNamespace(p.namespace, nats.labels)], ports: [{ protocol: 'TCP', port: nats.port }] }] : []),
        ],
      },
    },
    ...(nats
      ? [{
          apiVersion: 'networking.k8s.io/v1',
          kind: 'NetworkPolicy',
          metadata: meta('nats'),
          spec: {
            podSelector: { matchLabels: nats.labels },
            policyTypes: ['Ingress', 'Egress'],
            // One server, no cluster routes: it only answers the node runtimes.
            ingress: [{ from: [inNamespace(rt, p.runtimeLabels)], ports: [{ protocol: 'TCP', port: nats.port }] }],
            egress: [],
          },
        }]
      : []),
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: meta('operator'),
      spec: {
        podSelector: { matchLabels: p.operatorLabels },
        policyTypes: ['Ingress', 'Egress'],
        ingress: [],
        // The operator verifies modules (registry) and talks to nodes only through the API server.
        egress: [dns, to(p.apiServer), to(p.registry)],
      },
    },
  ];
}
