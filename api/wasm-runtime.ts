/** `WasmRuntime`: a pool of node runtimes, their engine settings, limit ceilings, and how clients reach them. */
import Type from 'typebox';
import { ConditionsSchema } from './conditions.ts';
import { obj, objectName, stringMap } from './fields.ts';
import { HostPathsSchema } from './host-paths.ts';
import { celRules } from './rules.ts';

const limit = (what: string, max: number) => Type.Optional(Type.Integer({ minimum: 1, maximum: max, format: 'int32', description: what }));

const CeilingsSchema = obj('Largest limits a function in this pool may ask for.', {
  memoryPages: limit('Linear memory in 64 KiB pages.', 65536),
  timeoutMs: limit('Invocation timeout in milliseconds.', 900000),
  concurrency: limit('Concurrent invocations per instance.', 10000),
});

/** The NodePort range of a default kube-apiserver (`--service-node-port-range`). */
const NODE_PORTS = { minimum: 30000, maximum: 32767 } as const;

const ServiceSchema = obj(
  "How clients outside the cluster reach the pool's node runtimes (their tenant port, 8080 in the pod).",
  {
    type: Type.Enum(['NodePort', 'HostPort', 'HostNetwork'], {
      default: 'NodePort',
      description: "NodePort: a Service of type NodePort in front of the pool's pods. HostPort: each pod also takes hostPort on its node (an edge site's own load balancer or DNS points at the nodes), beside a ClusterIP Service for clients inside the cluster. HostNetwork: each pod runs in its node's network namespace and listens on the node's address at hostPort (admin port 9090 there too), for sites without a CNI port mapper (the edge's own load balancer or DNS points at the nodes); a ClusterIP Service beside it.",
    }),
    nodePort: Type.Optional(Type.Integer({ ...NODE_PORTS, format: 'int32', description: 'With type NodePort: the port on every node; absent, the API server picks one.' })),
    hostPort: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, format: 'int32', description: 'With type HostPort or HostNetwork: the port on each node of the pool; absent, 8080.' })),
  },
  {
    default: {},
    ...celRules(
      { rule: "!has(self.nodePort) || self.type == 'NodePort'", message: 'nodePort is for type NodePort: remove it or set type: NodePort', fieldPath: '.nodePort' },
      { rule: "!has(self.hostPort) || self.type == 'HostPort' || self.type == 'HostNetwork'", message: 'hostPort is for type HostPort or HostNetwork: remove it or set one of those types', fieldPath: '.hostPort' },
      // The admin port shares the node's address under HostNetwork: the tenant port must not take it.
      { rule: "self.type != 'HostNetwork' || !has(self.hostPort) || self.hostPort != 9090", message: 'hostPort 9090 is the node runtime\'s admin port on the node under HostNetwork: pick another port', fieldPath: '.hostPort' },
    ),
  },
);

const EngineSchema = obj(
  'Settings of the WebAssembly engine on each node.',
  {
    kind: Type.Enum(['v8'], { default: 'v8', description: 'Engine: v8 (Node.js WebAssembly).' }),
    workers: Type.Integer({ minimum: 1, maximum: 256, default: 2, format: 'int32', description: 'Worker threads (isolates) per node that run invocations.' }),
    // Below 512 KiB a worker thread cannot even run its own JS (measured: 256 KiB crashes it at the first deep call).
    stackSizeKb: Type.Integer({ minimum: 512, maximum: 65536, default: 984, format: 'int32', description: 'Stack size of each worker thread in KiB (flotilla node --stack-size-kb); deeper recursion traps cleanly with StackOverflow.' }),
  },
  { default: {} },
);

export const WasmRuntimeSpecSchema = obj(
  'Desired state of a WasmRuntime pool.',
  {
    version: Type.String({ maxLength: 64, pattern: '^v?[0-9]+\\.[0-9]+\\.[0-9]+(-[0-9A-Za-z.-]+)?$', description: 'Node runtime version the operator rolls out to the pool (semver).' }),
    engine: EngineSchema,
    ceilings: Type.Optional(CeilingsSchema),
    cache: obj('On-disk module cache of each node.', { sizeMiB: Type.Integer({ minimum: 16, maximum: 1048576, default: 1024, format: 'int32', description: 'Size bound of the content-addressed cache; least recently used modules are evicted.' }) }, { default: {} }),
    capacity: obj('What each node of the pool accepts.', { functions: Type.Integer({ minimum: 0, maximum: 100000, default: 100, format: 'int32', description: 'Functions one node runs at most; the operator places no more on it.' }) }, { default: {} }),
    nats: Type.Optional(
      obj("The cluster's NATS (JetStream) the nodes connect to: NATS triggers, chaining across nodes, cron tick claims, state.store: nats.", {
        url: Type.String({ maxLength: 512, pattern: '^(nats|tls)://[^\\s/]+$', description: 'nats://host:port or tls://host:port, e.g. the Service the cluster installs (nats://flotilla-nats.<namespace>.svc:4222).' }),
        credentialsSecret: Type.Optional(
          objectName("Secret in this namespace whose key \"seed\" holds the pool's NATS nkey user seed (flotilla nats keygen), mounted into the pool's nodes and passed as --nats-creds; the server's config grants its public key the pool's subjects. Absent: the nodes connect without credentials."),
        ),
      }),
    ),
    service: ServiceSchema,
    registryCredentials: Type.Optional(
      Type.Array(obj('A Secret of type kubernetes.io/dockerconfigjson in this namespace (kubectl create secret docker-registry).', { name: objectName('Name of the Secret.') }), {
        maxItems: 16,
        description: "Pull credentials for private module registries, tried in order (the first with an entry for the module's registry host is used), by the operator when it verifies a module and by the pool's nodes when they pull it; the nodes may read exactly these Secrets.",
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['name'],
      }),
    ),
    hostPaths: HostPathsSchema,
    nodeSelector: Type.Optional(stringMap('Node labels of the nodes in this pool.')),
    trustPolicyRef: obj('The trust policy modules must satisfy before they run.', { name: objectName('Name of the trust policy ConfigMap in the operator namespace.') }),
  },
);

export const WasmRuntimeStatusSchema = obj('Observed state of a WasmRuntime pool.', {
  observedGeneration: Type.Optional(Type.Integer({ minimum: 0, format: 'int64', description: 'metadata.generation the status reflects.' })),
  conditions: Type.Optional(ConditionsSchema),
  readyNodes: Type.Optional(Type.Integer({ minimum: 0, format: 'int32', description: 'Nodes whose runtime is ready.' })),
  desiredNodes: Type.Optional(Type.Integer({ minimum: 0, format: 'int32', description: 'Nodes matching the selector.' })),
  currentVersion: Type.Optional(Type.String({ maxLength: 64, description: 'Runtime version running on every ready node.' })),
});

export type WasmRuntimeSpec = Type.Static<typeof WasmRuntimeSpecSchema>;
export type WasmRuntimeStatus = Type.Static<typeof WasmRuntimeStatusSchema>;
