/**
 * The Helm chart gitops/charts/flotilla/, for clusters installed without this GitOps repo: the
 * platform constructs rendered with the images this source builds (clusters/images.json) as the
 * default values. `npm run synth` writes it beside the clusters; gitops.test.ts checks it is current.
 */
import { renderHelmChart } from '../constructs/index.ts';
import type { ChartValues, RenderedFile } from '../constructs/index.ts';
import { loadImages } from './pinned.ts';

/** Where the chart sits in the GitOps tree. */
export const CHART_DIR = 'charts/flotilla';

/** The WasmRuntime version the chart pins a node runtime image for (and the chart's version). */
export const CHART_NODE_VERSION = '0.1.0';

/** `<registry>/<repository>@<digest>` split into its parts. */
function split(ref: string): { registry: string; repository: string; digest: string } {
  const [name = '', digest = ''] = ref.split('@');
  const slash = name.indexOf('/');
  return { registry: name.slice(0, slash), repository: name.slice(slash + 1), digest };
}

/** The chart's default values: the pinned images, every namespace watched, a trust policy that trusts nothing, the "default" pool of namespace "functions". */
export function chartDefaults(images = loadImages()): ChartValues {
  const node = images.nodeRuntime[CHART_NODE_VERSION];
  if (node === undefined) throw new Error(`clusters/images.json has no node-runtime@${CHART_NODE_VERSION}, the version the chart pins; add it`);
  const operator = split(images.operator);
  const runtime = split(node);
  if (operator.registry !== runtime.registry) throw new Error(`clusters/images.json: the chart takes one images.registry, but operator is in ${operator.registry} and node-runtime@${CHART_NODE_VERSION} in ${runtime.registry}`);
  return {
    images: { registry: operator.registry, operator: { repository: operator.repository, digest: operator.digest }, nodeRuntime: { version: CHART_NODE_VERSION, repository: runtime.repository, digest: runtime.digest } },
    watchNamespace: '',
    logLevel: 'info',
    operator: { replicas: 2, hostNetwork: false, metricsPort: 9090 },
    trustPolicy: { name: 'flotilla-trust', keys: [], identities: [] },
    nodePools: [{ namespace: 'functions', name: 'default' }],
  };
}

/** The chart's files, paths relative to the GitOps root. */
export function renderChart(): RenderedFile[] {
  return renderHelmChart({ version: CHART_NODE_VERSION, defaults: chartDefaults() }).map((f) => ({ path: `${CHART_DIR}/${f.path}`, content: f.content }));
}
