/**
 * docs/api.md, generated from the schemas: the descriptions written next to each field are the
 * reference. `npm run synth` rewrites the file; a unit test fails when it is stale.
 */
import { CEILING_LIMITS, CEILINGS_POLICY, ceilingsPolicy } from './admission.ts';
import { API_VERSION } from './group.ts';
import { CONDITION_TYPES, REASON_CODES } from './conditions.ts';
import { KINDS } from './kinds.ts';
import type { KindDefinition } from './kinds.ts';
import { toOpenApi } from './openapi.ts';
import type { JsonSchema } from './openapi.ts';
import type { CelRule } from './rules.ts';
import { FunctionLimitsSchema } from './wasm-function.ts';

function typeOf(s: JsonSchema): string {
  if (Array.isArray(s.enum)) return (s.enum as unknown[]).map((v) => `\`${String(v)}\``).join(' \\| ');
  if (s.type === 'array') return `${typeOf(s.items as JsonSchema)}[]`;
  if (s.type === 'object' && typeof s.additionalProperties === 'object') return `map[string]${typeOf(s.additionalProperties as JsonSchema)}`;
  return String(s.type);
}

const str = (v: unknown): string => (typeof v === 'string' || typeof v === 'number' ? String(v) : v === undefined ? '' : JSON.stringify(v));

function constraints(s: JsonSchema): string {
  const parts: string[] = [];
  if (s.default !== undefined) parts.push(`default \`${JSON.stringify(s.default)}\``);
  if (s.minimum !== undefined || s.maximum !== undefined) parts.push(`${str(s.minimum)}..${str(s.maximum)}`);
  if (s.maxLength !== undefined) parts.push(`max ${str(s.maxLength)} chars`);
  if (s.maxItems !== undefined) parts.push(`max ${str(s.maxItems)} items`);
  if (s.format !== undefined && s.format !== 'int32' && s.format !== 'int64') parts.push(str(s.format));
  return parts.join(', ');
}

// Prose goes into Markdown: `<registry>` would be swallowed as an HTML tag, `|` would split a table cell.
const prose = (s: string) => s.replace(/</g, '&lt;').replace(/>/g, '&gt;');
const cell = (s: string) => prose(s).replace(/\|/g, '\\|').replace(/\n/g, ' ');

function rows(s: JsonSchema, path: string, required: boolean, out: string[]): void {
  if (path !== '') out.push(`| \`${path}\` | ${typeOf(s)} | ${required && s.default === undefined ? 'yes' : ''} | ${cell(constraints(s))} | ${cell(str(s.description))} |`);
  const req = new Set((s.required ?? []) as string[]);
  for (const [k, v] of Object.entries((s.properties ?? {}) as Record<string, JsonSchema>)) rows(v, path === '' ? k : `${path}.${k}`, req.has(k), out);
  if (s.type === 'array' && (s.items as JsonSchema).type === 'object') rows(s.items as JsonSchema, `${path}[]`, false, out);
}

function rules(s: JsonSchema, path: string, out: string[]): void {
  for (const r of (s['x-kubernetes-validations'] ?? []) as CelRule[]) out.push(`- \`${path || '.'}\`: ${prose(r.message)}  \n  CEL: \`${r.rule.length > 160 ? `${r.rule.slice(0, 157)}...` : r.rule}\``);
  for (const [k, v] of Object.entries((s.properties ?? {}) as Record<string, JsonSchema>)) rules(v, path === '' ? k : `${path}.${k}`, out);
  if (s.type === 'array') rules(s.items as JsonSchema, `${path}[]`, out);
}

function section(def: KindDefinition): string {
  const spec = toOpenApi(def.spec);
  const status = toOpenApi(def.status);
  const out = [`## ${def.kind}`, '', def.description, '', `\`kubectl get ${def.plural}\` (short names: ${def.shortNames.join(', ')}; category \`flotilla\`)`, ''];
  out.push('### spec', '', '| field | type | required | constraints | description |', '| --- | --- | --- | --- | --- |');
  rows(spec, '', false, out);
  const r: string[] = [];
  rules(spec, 'spec', r);
  if (r.length > 0) out.push('', '### Cross-field rules (CEL, enforced by the API server and the runtime validator)', '', ...r);
  out.push('', '### status', '', '| field | type | required | constraints | description |', '| --- | --- | --- | --- | --- |');
  rows(status, '', false, out);
  out.push('', '### Printer columns', '', ...def.printerColumns.map((c) => `- ${c.name.toUpperCase()}${c.priority === 1 ? ' (-o wide)' : ''}: ${c.description} (\`${c.jsonPath}\`)`), '');
  return out.join('\n');
}

/** How the API server holds a WasmFunction to its pool's ceilings (api/admission.ts). */
function admissionSection(): string {
  const limits = toOpenApi(FunctionLimitsSchema).properties as Record<string, JsonSchema>;
  const crdDefaults = CEILING_LIMITS.map((f) => `${f} ${str(limits[f]?.default)}`).join(', ');
  return [
    '## Admission ceilings (ValidatingAdmissionPolicy)',
    '',
    `The API server itself refuses a WasmFunction that asks for more than its pool allows: the ValidatingAdmissionPolicy \`${CEILINGS_POLICY}\` and its binding (\`admissionregistration.k8s.io/v1\`) are rendered with the CRDs into every cluster and synced after them.`,
    '',
    "- **Which pool judges.** The params are every WasmRuntime of the function's namespace (`paramRef.selector: {}`); each validation judges a function only against the WasmRuntime named by its `spec.runtimeClass`. A function whose pool does not exist is admitted (none in the namespace: `parameterNotFoundAction: Allow`) and the operator reports it `RuntimeNotFound`.",
    `- **Defaults are judged.** The WasmFunction CRD fills omitted limits (${crdDefaults}) before admission, so those values are what the ceilings see: a pool with \`ceilings.memoryPages\` below the default refuses a function that omits \`limits.memoryPages\`. A pool has no defaults of its own: set the limit on the function, or raise the ceiling.`,
    "- **Writes only.** Judged: a create, and an update that changes `spec`. Lowering a ceiling does not re-judge the functions already admitted: their metadata can still be edited, their next spec change must fit, and until then the operator reports them `Ready=False` (`LimitsExceedCeiling`, `HostPathNotAllowed`) and runs them on no node.",
    "- **Capabilities.** Host paths are the one capability a WasmRuntime caps; `capabilities.allowedHosts` is refused by the WasmFunction CRD itself (no outbound network yet), and `env` has no ceiling.",
    '- **One at a time.** The API server reports the first failing validation; fix it and the next one shows.',
    '- **Deny by default.** `failurePolicy: Fail`: a policy that cannot be evaluated refuses the write.',
    '',
    'Validations, in order (the API server shows the field, the value asked for, the ceiling and the pool, e.g. "spec.limits.memoryPages 4096 exceeds WasmRuntime edge/default spec.ceilings.memoryPages 1024: lower it or raise the pool\'s ceiling"):',
    '',
    ...ceilingsPolicy().spec.validations.map((v) => `- ${prose(v.message)}`),
    '',
    'Host paths are compared as everywhere else (`api/host-paths.ts`, `isUnderCel`): at or below an allowed entry by whole path components, read-write only under an entry with `readOnly: false`.',
    '',
  ].join('\n');
}

/** The whole API reference as Markdown. */
export function renderReference(): string {
  return [
    `# API reference: ${API_VERSION}`,
    '',
    '<!-- Generated by api/reference.ts from the schemas in api/ (npm run synth). Do not edit. -->',
    '',
    `Kinds: ${KINDS.map((k) => `[${k.kind}](#${k.kind.toLowerCase()})`).join(', ')}. Admission: [ceilings in the API server](#admission-ceilings-validatingadmissionpolicy).`,
    '',
    '## Conditions',
    '',
    `Every kind reports \`status.conditions\` (metav1.Condition with \`observedGeneration\`) of types ${CONDITION_TYPES.map((t) => `\`${t}\``).join(', ')}.`,
    `Reasons are a closed set: ${REASON_CODES.map((r) => `\`${r}\``).join(', ')}.`,
    '',
    ...KINDS.map(section),
    admissionSection(),
  ].join('\n');
}
