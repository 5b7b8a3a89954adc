/**
 * NetworkPolicies confining node runtimes: nothing in or out unless listed. Egress only to DNS, the
 * API server, the module registry, peer runtimes and the CIDRs the cluster declares for functions'
 * allowed hosts (NetworkPolicy is L3/L4; the runtime itself enforces the host names per function).
 */

/** A destination by address block and ports. */
export interface EgressTarget {
  readonly cidr: string;
  readonly ports: readonly number[];
}

export interface RuntimeNetworkProps {
  readonly namespace: string;
  /** Labels of the node runtime pods. */
  readonly runtimeLabels: Record<string, string>;
  /** Labels of the operator pods. */
  readonly operatorLabels: Record<string, string>;
  readonly registry: EgressTarget;
  readonly apiServer: EgressTarget;
  /** Hosts functions may reach (their capabilities.allowedHosts), as CIDRs. */
  readonly functionEgress: readonly EgressTarget[];
  /** Port functions are served on. */
  readonly httpPort: number;
  /** Port of /metrics, /healthz and /readyz, and of peer-to-peer cache transfers. */
  readonly metricsPort: number;
}

const to = (t: EgressTarget) => ({ to: [{ ipBlock: { cidr: t.cidr } }], ports: t.ports.map((port) => ({ protocol: 'TCP', port })) });

/** Default deny for the namespace, then the runtime's and the operator's allowances. */
export function runtimeNetworkPolicies(p: RuntimeNetworkProps): Record<string, unknown>[] {
  const meta = (name: string) => ({ name, namespace: p.namespace, labels: { 'app.kubernetes.io/part-of': 'flotilla' } });
  const dns = { to: [{ namespaceSelector: {}, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }], ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }] };
  return [
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: meta('default-deny'),
      spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: meta('node-runtime'),
      spec: {
        podSelector: { matchLabels: p.runtimeLabels },
        policyTypes: ['Ingress', 'Egress'],
        ingress: [
          { ports: [{ protocol: 'TCP', port: p.httpPort }] },
          { from: [{ podSelector: { matchLabels: p.runtimeLabels } }, { podSelector: { matchLabels: p.operatorLabels } }], ports: [{ protocol: 'TCP', port: p.metricsPort }] },
        ],
        egress: [
          dns,
          to(p.apiServer),
          to(p.registry),
          { to: [{ podSelector: { matchLabels: p.runtimeLabels } }], ports: [{ protocol: 'TCP', port: p.metricsPort }] },
          ...p.functionEgress.map(to),
        ],
      },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: meta('operator'),
      spec: {
        podSelector: { matchLabels: p.operatorLabels },
        policyTypes: ['Ingress', 'Egress'],
        ingress: [],
        egress: [dns, to(p.apiServer), to(p.registry), { to: [{ podSelector: { matchLabels: p.runtimeLabels } }], ports: [{ protocol: 'TCP', port: p.metricsPort }] }],
      },
    },
  ];
}
