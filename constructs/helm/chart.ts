/**
 * The Helm chart `flotilla`, generated from the platform constructs (./platform.ts): they are
 * synthesized once with a marker where each value belongs, then every marker becomes its
 * `{{ .Values.* }}` expression. A marker that no longer appears (the constructs changed shape)
 * fails the render, so a chart that silently ignores a value cannot be produced.
 */
import { stringify } from 'yaml';
import { nodeRuntimeName } from '../../api/index.ts';
import { ConstructError } from '../errors.ts';
import type { RenderedFile } from '../render.ts';
import { platformObjects } from './platform.ts';
import type { PlatformObject } from './platform.ts';
import { valuesSchemaJson } from './values.ts';
import type { ChartValues } from './values.ts';

/** Markers: valid where they stand (DNS labels, a port, a pinned reference) so the constructs accept them. */
const M = {
  namespace: 'flotilla-chart-release-namespace',
  watch: 'flotilla-chart-watch-namespace',
  registry: 'flotilla-chart-registry',
  operatorRepo: 'flotilla-chart-operator-repository',
  operatorDigest: `sha256:${'a'.repeat(64)}`,
  nodeRepo: 'flotilla-chart-node-repository',
  nodeDigest: `sha256:${'b'.repeat(64)}`,
  nodeVersion: 'flotilla-chart-node-version',
  port: 65432,
  replicas: 7,
  trustName: 'flotilla-chart-trust-policy',
  poolNamespace: 'flotilla-chart-pool-namespace',
  poolName: 'flotilla-chart-pool',
  trustData: 'FLOTILLA_CHART_TRUST_POLICY',
} as const;

/** What the chart is published as, and the values it installs when none are given. */
export interface FlotillaChartProps {
  /** Chart and app version (the node runtime version it pins by default). */
  readonly version: string;
  readonly defaults: ChartValues;
}

function replaceAll(text: string, from: string, to: string, file: string): string {
  if (!text.includes(from)) throw new ConstructError('InvalidProps', `helm chart ${file}: expected marker ${JSON.stringify(from)} in the rendered constructs, got none; the constructs changed shape: update constructs/helm/chart.ts`);
  return text.split(from).join(to);
}

/** Wraps the line pair `- <flag>` / `- <marker>` of an args list in `{{- with <value> }}`. */
function optionalFlag(text: string, flag: string, marker: string, value: string, file: string): string {
  const re = new RegExp(`\\n( *)- ${flag}\\n\\1- ${marker}\\n`);
  const m = re.exec(text);
  if (!m) throw new ConstructError('InvalidProps', `helm chart ${file}: expected the args pair ${flag} ${marker}, got none: update constructs/helm/chart.ts`);
  const i = m[1] ?? '';
  return text.replace(re, `\n${i}{{- with ${value} }}\n${i}- ${flag}\n${i}- {{ . | quote }}\n${i}{{- end }}\n`);
}

const V = (path: string) => `{{ .Values.${path} }}`;

/** One template: the object's YAML with every marker it holds turned into its value expression. */
function template(o: PlatformObject): { name: string; text: string } {
  const file = `templates/${o.kind.toLowerCase()}_${o.metadata.name.replace(M.trustName, 'trust-policy')}.yaml`;
  let text = stringify(o, { sortMapEntries: true, lineWidth: 0 });
  const sub = (from: string, to: string) => (text = replaceAll(text, from, to, file));
  const subRe = (re: RegExp, to: (indent: string) => string) => {
    if (!re.test(text)) throw new ConstructError('InvalidProps', `helm chart ${file}: expected ${String(re)} in the rendered constructs, got none: update constructs/helm/chart.ts`);
    text = text.replace(re, (_, indent: string) => to(indent));
  };
  if (text.includes(M.namespace)) sub(M.namespace, '{{ .Release.Namespace }}');
  if (o.kind === 'Deployment') {
    text = optionalFlag(text, '--watch-namespace', M.watch, '.Values.watchNamespace', file);
    subRe(/\n( *)- --log-level\n *- trace\n/, (i) => `\n${i}- --log-level\n${i}- {{ .Values.logLevel | quote }}\n`);
    sub(`replicas: ${M.replicas}\n`, `replicas: ${V('operator.replicas')}\n`);
    sub(String(M.port), V('operator.metricsPort'));
    sub(`${M.registry}/${M.operatorRepo}@${M.operatorDigest}`, `${V('images.registry')}/${V('images.operator.repository')}@${V('images.operator.digest')}`);
    sub(`${M.nodeVersion}=`, `${V('images.nodeRuntime.version')}=`);
    sub(`${M.registry}/${M.nodeRepo}`, `${V('images.registry')}/${V('images.nodeRuntime.repository')}`);
    sub(M.nodeDigest, V('images.nodeRuntime.digest'));
    // cdk8s renders ClusterFirst, its default, for a pod on the pod network.
    subRe(/\n( *)dnsPolicy: ClusterFirstWithHostNet\n/, (i) => `\n${i}dnsPolicy: {{ if .Values.operator.hostNetwork }}ClusterFirstWithHostNet{{ else }}ClusterFirst{{ end }}\n`);
    subRe(/\n( *)hostNetwork: true\n/, (i) => `\n${i}hostNetwork: ${V('operator.hostNetwork')}\n`);
  }
  if (text.includes(M.trustName)) sub(M.trustName, V('trustPolicy.name'));
  if (o.kind === 'ConfigMap') {
    sub(`policy.json: ${M.trustData}\n`, 'policy.json: |\n    {{- dict "keys" .Values.trustPolicy.keys "identities" .Values.trustPolicy.identities | toPrettyJson | nindent 4 }}\n');
  }
  if (o.kind === 'RoleBinding') {
    const item = `  - kind: ServiceAccount\n    name: ${nodeRuntimeName(M.poolName)}\n    namespace: ${M.poolNamespace}\n`;
    sub(item, `{{- range .Values.nodePools }}\n  - kind: ServiceAccount\n    name: ${nodeRuntimeName('{{ .name }}')}\n    namespace: {{ .namespace }}\n{{- end }}\n`);
  }
  // The node pools' grant exists only when some pool is named.
  if (o.kind === 'Role' || o.kind === 'RoleBinding') text = `{{- if .Values.nodePools }}\n${text}{{- end }}\n`;
  if (/flotilla-chart-|FLOTILLA_CHART_/.test(text)) throw new ConstructError('InvalidProps', `helm chart ${file}: a marker was left unreplaced: ${/\S*(flotilla-chart-|FLOTILLA_CHART_)\S*/.exec(text)?.[0]}`);
  return { name: file, text };
}

function valuesYaml(values: ChartValues): string {
  return [
    '# Values of the flotilla chart (generated by `npm run synth` from constructs/helm/; values.schema.json',
    '# refuses anything else). Images are pinned by digest; the defaults are the images this source builds',
    '# (clusters/images.json). An empty trust policy trusts nothing: set trustPolicy.keys or identities.',
    stringify(values, { sortMapEntries: false, lineWidth: 0 }),
  ].join('\n');
}

/** Every file of the chart, paths relative to the chart's directory. */
export function renderHelmChart(props: FlotillaChartProps): RenderedFile[] {
  const objects = platformObjects({
    system: {
      namespace: M.namespace,
      operatorImage: `${M.registry}/${M.operatorRepo}@${M.operatorDigest}`,
      nodeRuntimeImages: { [M.nodeVersion]: `${M.registry}/${M.nodeRepo}@${M.nodeDigest}` },
      operatorReplicas: M.replicas,
      watchNamespace: M.watch,
      logLevel: 'trace',
      hostNetwork: true,
      metricsPort: M.port,
    },
    trustPolicy: { name: M.trustName, keys: [], identities: [] },
    nodePools: [{ namespace: M.poolNamespace, name: M.poolName }],
  }).map((o) => (o.kind === 'ConfigMap' ? { ...o, data: { 'policy.json': M.trustData } } : o));
  const files: RenderedFile[] = [
    {
      path: 'Chart.yaml',
      content: stringify({
        apiVersion: 'v2',
        name: 'flotilla',
        description: 'Flotilla: WebAssembly functions on Kubernetes edge clusters (CRDs, operator, RBAC, trust policy)',
        type: 'application',
        version: props.version,
        appVersion: props.version,
        // ValidatingAdmissionPolicy is GA from 1.30.
        kubeVersion: '>= 1.30.0-0',
        home: 'https://flotilla.dev',
      }),
    },
    { path: 'values.yaml', content: valuesYaml(props.defaults) },
    { path: 'values.schema.json', content: valuesSchemaJson() },
    { path: 'templates/NOTES.txt', content: 'Flotilla\'s operator runs in {{ .Release.Namespace }} ({{ .Values.operator.replicas }} replicas){{ with .Values.watchNamespace }}, reconciling namespace {{ . }}{{ end }}.\nCreate a WasmRuntime with spec.version {{ .Values.images.nodeRuntime.version }} and spec.trustPolicyRef.name {{ .Values.trustPolicy.name }}, then WasmFunctions signed by a trusted key.\n' },
  ];
  for (const o of objects) {
    if (o.kind === 'CustomResourceDefinition') files.push({ path: `crds/${o.metadata.name}.yaml`, content: stringify(o, { sortMapEntries: true, lineWidth: 0 }) });
    else {
      const t = template(o);
      files.push({ path: t.name, content: t.text });
    }
  }
  return files.sort((a, b) => a.path.localeCompare(b.path));
}
