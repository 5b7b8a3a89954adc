/**
 * The shared base every edge cluster starts from: images, the fleet trust policy, the default
 * runtime pool, network allowances and the echo function every cluster serves. A cluster file is an
 * overlay: it names the cluster, changes what differs and adds its own functions.
 */
import type { App } from 'cdk8s';
import { EdgeCluster, FunctionApp } from '../constructs/index.ts';
import type { EdgeClusterProps } from '../constructs/index.ts';
import type { NamedTrustPolicy } from '../policies/trust-policy.ts';
import { loadImages, loadModules } from './pinned.ts';
import type { Modules } from './pinned.ts';

/** Keys and identities the whole fleet trusts (a cluster overlay may add its own). */
export const FLEET_TRUST: NamedTrustPolicy = {
  name: 'fleet-trust',
  keys: [
    `-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEp95/jE3ECWI28CnijwwOh2A3XYXg
KgvjFWt1OFUNF4nZes9bMRGRVTI+gCm7+LTiUyBl4VPDvw7wEOmlt4OShQ==
-----END PUBLIC KEY-----
`,
  ],
  identities: [{ issuer: 'https://token.actions.githubusercontent.com', subjectRegExp: 'https://github\\.com/flotilla-dev/functions/\\.github/workflows/release\\.yaml@refs/tags/v.*' }],
};

/** What an overlay may set. */
export interface ClusterOverlay {
  readonly name: string;
  readonly region: string;
  /** Runtime pools beyond or replacing the base's ("default"). */
  readonly runtimes?: EdgeClusterProps['runtimes'];
  /** Extra trusted identities of this cluster. */
  readonly extraIdentities?: NamedTrustPolicy['identities'];
  readonly network?: Partial<EdgeClusterProps['network']>;
  readonly kyverno?: boolean;
  /** The cluster's NATS for its node runtimes (EdgeClusterProps.nats). @default none */
  readonly nats?: EdgeClusterProps['nats'];
  /** The cluster's own functions (echo comes from the base). */
  readonly apps?: (cluster: EdgeCluster, modules: Modules) => void;
}

const BASE_RUNTIME: EdgeClusterProps['runtimes'][string] = {
  version: '0.1.0',
  ceilings: { memoryPages: 4096, timeoutMs: 30000, concurrency: 64 },
  cacheSizeMiB: 1024,
};

/** What a render may take from outside the code (the local fleet of `flotilla up`); each defaults to the committed fleet. */
export interface FleetInputs {
  /** Module references by function. @default clusters/modules.json */
  readonly modules?: Modules;
  /** Public keys (PEM) trusted on top of FLEET_TRUST. @default none */
  readonly extraTrustKeys?: readonly string[];
  /** In-cluster operator Deployment replicas (0 when the operator runs outside the cluster). @default EdgeCluster's */
  readonly operatorReplicas?: number;
  /** Render Kyverno policies where a cluster asks for them (false where no Kyverno runs). @default true */
  readonly kyverno?: boolean;
}

/** Declares one edge cluster: the base plus the overlay. */
export function edgeCluster(app: App, overlay: ClusterOverlay, inputs: FleetInputs = {}): EdgeCluster {
  const modules = inputs.modules ?? loadModules();
  const cluster = new EdgeCluster(app, overlay.name, {
    name: overlay.name,
    region: overlay.region,
    functionsNamespace: 'functions',
    images: loadImages(),
    trustPolicy: { ...FLEET_TRUST, keys: [...FLEET_TRUST.keys, ...(inputs.extraTrustKeys ?? [])], identities: [...FLEET_TRUST.identities, ...(overlay.extraIdentities ?? [])] },
    runtimes: { default: BASE_RUNTIME, ...overlay.runtimes },
    network: {
      registry: { cidr: '10.10.0.10/32', ports: [5000] },
      apiServer: { cidr: '10.96.0.1/32', ports: [443, 6443] },
      functionEgress: [],
      ...overlay.network,
    },
    kyverno: inputs.kyverno === false ? false : overlay.kyverno,
    ...(overlay.nats !== undefined ? { nats: overlay.nats } : {}),
    ...(inputs.operatorReplicas !== undefined ? { operatorReplicas: inputs.operatorReplicas } : {}),
  });
  new FunctionApp(cluster, 'echo', {
    module: modules.echo,
    limits: { memoryPages: 64, timeoutMs: 2000 },
    http: { host: `echo.${overlay.name}.flotilla.example`, methods: ['GET', 'POST'] },
    scaling: { minInstances: 1, maxInstances: 4 },
  });
  overlay.apps?.(cluster, modules);
  return cluster;
}
