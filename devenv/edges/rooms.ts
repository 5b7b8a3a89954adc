/**
 * The rooms of the repository (top-level folders, plus `devenv/tools/` on its own) and the edges
 * allowed between them: the one source for `.dependency-cruiser.ts` (which enforces them) and for
 * the layout table and graph in docs/architecture.md (which `render.ts` generates).
 */

/** A room: a folder whose files follow one import rule. */
export type RoomName =
  | 'api'
  | 'kube'
  | 'artifacts'
  | 'devenv/tools'
  | 'policies'
  | 'constructs'
  | 'clusters'
  | 'operator'
  | 'node-runtime'
  | 'examples'
  | 'devenv'
  | 'cli'
  | 'bench'
  | 'test';

/** What one room holds and what its files may import. */
export interface Room {
  /** One line for the layout table. */
  readonly holds: string;
  /** The other rooms its files may import; npm packages are free unless `forbiddenPackages` says otherwise. */
  readonly mayImport: readonly RoomName[];
  /** Why the list is what it is, or what it must never grow to include. @default none */
  readonly note?: string;
  /** Rooms its unit tests (`*.test.ts`) may import on top of `mayImport`, and why. @default none */
  readonly testsMayAlsoImport?: { readonly rooms: readonly RoomName[]; readonly why: string };
  /** npm packages its files must not import. @default none */
  readonly forbiddenPackages?: readonly string[];
}

// The rooms cli/ sits on: every product room but itself.
const UNDER_CLI: readonly RoomName[] = ['api', 'kube', 'artifacts', 'devenv/tools', 'policies', 'constructs', 'clusters', 'operator', 'node-runtime', 'examples', 'devenv'];

/** Every room, leaf first: a room imports only rooms listed before it, so the rooms cannot form a cycle. */
export const ROOMS: Readonly<Record<RoomName, Room>> = {
  api: {
    holds: 'the `flotilla.dev/v1alpha1` kinds: schemas (one source for TS types, CRD OpenAPI, runtime validation), conditions, reason codes, the node contract, `FlotillaError`',
    mayImport: [],
    note: 'the leaf: every other room builds on it',
    forbiddenPackages: ['cdk8s', 'cdk8s-plus-33', 'constructs'],
  },
  kube: {
    holds: 'Kubernetes client and controller runtime: informer, store, work queue, controller, leases, leader election, kubeconfig lookup',
    mayImport: ['api'],
  },
  artifacts: {
    holds: 'OCI registry client, OCI image layouts, cosign-compatible signing and verification',
    mayImport: ['api'],
  },
  'devenv/tools': {
    holds: 'pinned external tools: versions (`versions.json`, the one source), setup, paths',
    mayImport: [],
    note: 'a room of its own so `examples/` can use it while `devenv/` builds examples',
  },
  policies: {
    holds: 'trust policy as data, Kyverno and NetworkPolicy rules',
    mayImport: ['api', 'artifacts'],
    note: '`artifacts/` for the one TrustPolicy type and its compiler, so synth refuses exactly what verification would',
  },
  constructs: {
    holds: 'cdk8s constructs over `api/`, CRDs rendered from `api/`, Argo CD health checks',
    mayImport: ['api', 'policies'],
    testsMayAlsoImport: { rooms: ['devenv/tools'], why: 'to run the health checks in the pinned Lua interpreter' },
  },
  clusters: {
    holds: 'the fleet as code; `clusters/main.ts` is the cdk8s app',
    mayImport: ['api', 'policies', 'constructs'],
  },
  operator: {
    holds: 'controller manager: one reconciler per kind on `kube/`',
    mayImport: ['api', 'kube', 'artifacts'],
    note: 'never `node-runtime/`: the two meet only in `api/`, through the node contract',
  },
  'node-runtime': {
    holds: 'per-node agent: resolve → pull → verify → compile → instantiate → invoke; `testing/` holds helpers for its tests and benchmarks',
    mayImport: ['api', 'kube', 'artifacts'],
    note: 'never `operator/`; `kube/` for cluster mode only',
  },
  examples: {
    holds: 'example functions (C, Go, AssemblyScript) and their reproducible builder',
    mayImport: ['api', 'devenv/tools'],
  },
  devenv: {
    holds: 'the local fleet behind `flotilla up` (a product, like kind): server start functions (`servers/`), the supervisor (`fleet/`), fixtures shared by tests and benchmarks (`fixtures/`), the daemonless build of the operator, node runtime and NATS images (`images/`), the rooms of this table and its renderer (`edges/`)',
    mayImport: ['api', 'kube', 'artifacts', 'devenv/tools', 'policies', 'constructs', 'clusters', 'examples'],
    note: 'never `operator/` or `node-runtime/` (it spawns them as processes through `cli/main.ts`), nor `cli/` or `test/`',
  },
  cli: {
    holds: '`flotilla`, the user\'s single entry point: one file per command',
    mayImport: UNDER_CLI,
  },
  bench: {
    holds: 'benchmarks; method and results in `docs/performance.md`',
    mayImport: [...UNDER_CLI, 'cli'],
    note: 'never `test/`: what both need lives in `devenv/fixtures/` or a room\'s `testing/`',
  },
  test: {
    holds: 'integration and e2e suites, the vitest glue of the harness (`test/harness/`), reporters',
    mayImport: [...UNDER_CLI, 'cli', 'bench'],
  },
};

/** The room names, leaf first. */
export const ROOM_NAMES = Object.keys(ROOMS) as RoomName[];

/** A regular expression matching the repo-relative paths of `room`'s files, not those of a room nested in it. */
export function roomPattern(room: RoomName): string {
  const nested = ROOM_NAMES.filter((r) => r !== room && r.startsWith(`${room}/`)).map((r) => r.slice(room.length + 1));
  return `^${room}/${nested.map((n) => `(?!${n}/)`).join('')}`;
}
