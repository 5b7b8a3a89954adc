/**
 * Builds the example functions from source into a content-addressed cache.
 *
 *   node examples/functions/build.ts [name...]   progress on stderr, one .wasm path per line on stdout
 *
 * A build's key hashes the example's sources, the flotilla:kv binding it uses (examples/bindings/) and
 * its toolchain's identity, so an unchanged example is
 * never rebuilt and a new compiler or flag is never served stale bytes. Outputs are reproducible (same
 * sources and toolchain, same bytes), which the integration tests check, because rendered GitOps
 * manifests pin module digests.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildKey, cacheRoot, publishFile, sourceDigests } from './cache.ts';
import { EXAMPLE_NAMES, EXAMPLES, isExampleName, type ExampleName, type Language } from './catalog.ts';
import { ExampleBuildError } from './errors.ts';
import { probeToolchain } from './toolchains.ts';

export interface BuildOptions {
  /** Where built modules go. @default `<FLOTILLA_CACHE_DIR or ~/.cache/flotilla>/examples` */
  readonly cacheDir?: string;
  /** Environment for finding and running the toolchain. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Progress lines. @default none */
  readonly log?: (line: string) => void;
}

/** Folder holding the example's sources. */
export function exampleDir(name: ExampleName): string {
  return join(import.meta.dirname, name);
}

/** Folder holding a language's flotilla:kv binding. */
export function bindingDir(language: Language): string {
  return join(import.meta.dirname, '..', 'bindings', language);
}

/** Builds one example (or finds it in the cache) and returns the absolute path of its .wasm. */
export async function buildExample(name: string, options: BuildOptions = {}): Promise<string> {
  if (!isExampleName(name)) {
    throw new ExampleBuildError('UnknownExample', `expected an example name (${EXAMPLE_NAMES.join(', ')}), got '${name}'`);
  }
  const env = options.env ?? process.env;
  const cacheDir = resolve(options.cacheDir ?? join(cacheRoot(env), 'examples'));
  const log = options.log ?? (() => {});
  const recipe = EXAMPLES[name];
  const sourceDir = exampleDir(name);

  const toolchain = await probeToolchain(recipe.language, env);
  const binding = 'binding' in recipe ? bindingDir(recipe.binding) : undefined;
  const key = buildKey({
    name,
    entry: recipe.entry,
    toolchain: toolchain.identity,
    sources: await sourceDigests(sourceDir, ['README.md']),
    // Absent for examples without a binding, so their keys (and cached builds) stay as they were.
    ...(binding ? { binding: await sourceDigests(binding, ['README.md']) } : {}),
  });
  const outFile = join(cacheDir, `${name}-${key}.wasm`);
  if (existsSync(outFile)) {
    log(`${name}: cached ${outFile}`);
    return outFile;
  }

  log(`${name}: building (${recipe.language})`);
  const started = performance.now();
  await mkdir(cacheDir, { recursive: true });
  // Scratch space inside the cache dir, so the final rename stays on one filesystem.
  const workDir = await mkdtemp(join(cacheDir, `.build-${name}-`));
  try {
    const tempOut = join(workDir, 'out.wasm');
    await toolchain.compile(sourceDir, recipe.entry, workDir, tempOut, binding);
    await publishFile(tempOut, outFile);
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
  const { size } = await stat(outFile);
  log(`${name}: built ${outFile} (${size} bytes) in ${Math.round(performance.now() - started)} ms`);
  return outFile;
}

/** Builds every example; name -> .wasm path. */
export async function buildAllExamples(options: BuildOptions = {}): Promise<Record<ExampleName, string>> {
  const paths: Partial<Record<ExampleName, string>> = {};
  // One at a time: each compiler already uses the machine's cores.
  for (const name of EXAMPLE_NAMES) paths[name] = await buildExample(name, options);
  return paths as Record<ExampleName, string>;
}


async function main(argv: readonly string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stderr.write('usage: node examples/functions/build.ts [name...]\n\n');
    for (const name of EXAMPLE_NAMES) process.stderr.write(`  ${name.padEnd(10)} ${EXAMPLES[name].language.padEnd(15)} ${EXAMPLES[name].summary}\n`);
    return 0;
  }
  const names = argv.length > 0 ? argv : EXAMPLE_NAMES;
  const log = (line: string) => process.stderr.write(`${line}\n`);
  try {
    for (const name of names) process.stdout.write(`${await buildExample(name, { log })}\n`);
    return 0;
  } catch (err) {
    if (!(err instanceof ExampleBuildError)) throw err;
    process.stderr.write(`error: ${err.code}: ${err.message}\n`);
    return err.code === 'UnknownExample' ? 2 : 1;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await main(process.argv.slice(2));
}
