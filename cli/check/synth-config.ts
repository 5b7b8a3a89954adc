/**
 * A GitOps repository's cdk8s.yaml, read the way `cdk8s synth` reads it: `app` is the command that
 * renders the manifests, `output` the folder they are written to (and committed in).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { CheckError } from './problem.ts';

/** The file `cdk8s synth` reads in the directory it runs in. */
export const SYNTH_CONFIG_FILE = 'cdk8s.yaml';

// cdk8s-cli's DEFAULT_OUTPUT_DIR (lib/cli/cmds/synth.js), used when cdk8s.yaml names no output.
const DEFAULT_OUTPUT = 'dist';

/** The fields of cdk8s.yaml that check uses. */
export interface SynthConfig {
  /** Path of the file, for messages. */
  readonly file: string;
  /** The `app` command, run through a shell in the repository root; undefined when the file has none. */
  readonly app: string | undefined;
  /** The `output` folder, relative to the repository root. @default dist */
  readonly output: string;
}

function shape(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'a mapping' : JSON.stringify(v);
}

/** Parses the text of a cdk8s.yaml; `file` names it in errors. */
export function parseSynthConfig(text: string, file: string): SynthConfig {
  let doc: unknown;
  try {
    doc = parse(text) as unknown;
  } catch (cause) {
    throw new CheckError('SynthConfigInvalid', `${file}: expected YAML, got ${(cause as Error).message}; fix the file`, { cause });
  }
  // An empty file is an empty mapping, as for cdk8s.
  doc ??= {};
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new CheckError('SynthConfigInvalid', `${file}: expected a mapping with app: and output:, got ${shape(doc)}; fix the file`);
  }
  const { app, output } = doc as Record<string, unknown>;
  if (app !== undefined && (typeof app !== 'string' || app.trim() === '')) {
    throw new CheckError('SynthConfigInvalid', `${file}: app: expected the command that renders the manifests (e.g. app: node main.ts), got ${shape(app)}; fix the field`);
  }
  if (output !== undefined && (typeof output !== 'string' || output.trim() === '')) {
    throw new CheckError('SynthConfigInvalid', `${file}: output: expected the folder the manifests are rendered into (e.g. output: dist), got ${shape(output)}; fix the field`);
  }
  return { file, app, output: output ?? DEFAULT_OUTPUT };
}

/** Reads `<repo>/cdk8s.yaml`; undefined when there is none. */
export async function readSynthConfig(repo: string): Promise<SynthConfig | undefined> {
  const file = join(repo, SYNTH_CONFIG_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CheckError('SynthConfigInvalid', `cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
  return parseSynthConfig(text, file);
}
