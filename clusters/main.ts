/**
 * The cdk8s app (cdk8s.yaml, `npm run synth`): renders the fleet and the Helm chart into gitops/ and the API reference
 * into docs/api.md, both generated files that tests compare with what the code produces.
 */
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderReference } from '../api/reference.ts';
import { renderApp, writeRendered } from '../constructs/index.ts';
import { renderChart } from './chart.ts';
import { buildFleet } from './fleet.ts';

const committed = resolve(fileURLToPath(new URL('../gitops/', import.meta.url)));
// `cdk8s synth` names the output folder in CDK8S_OUTDIR, and `flotilla check` a temp folder.
const root = resolve(process.env['CDK8S_OUTDIR'] ?? committed);
const files = [...renderApp(buildFleet()), ...renderChart()];
await writeRendered(root, files);
process.stderr.write(`Rendered ${files.length} files into ${root}\n`);
// docs/api.md is not part of the GitOps tree: a render elsewhere (check's) must not rewrite it.
if (root === committed) await writeFile(new URL('../docs/api.md', import.meta.url), renderReference());
