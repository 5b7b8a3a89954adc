/**
 * The cdk8s app (cdk8s.yaml, `npm run synth`): renders the fleet into gitops/ and the API reference
 * into docs/api.md, both generated files that tests compare with what the code produces.
 */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { renderReference } from '../api/reference.ts';
import { renderApp, writeRendered } from '../constructs/index.ts';
import { buildFleet } from './fleet.ts';

const root = fileURLToPath(new URL('../gitops/', import.meta.url));
const files = renderApp(buildFleet());
await writeRendered(root, files);
process.stderr.write(`Rendered ${files.length} files into ${root}\n`);
await writeFile(new URL('../docs/api.md', import.meta.url), renderReference());
