/**
 * The node runtime image serving a function in a runc container, as a bare edge device would run
 * it (standalone mode: `flotilla node --manifests ... --local-store ...`, no kubelet, no API
 * server): shared by the integration test that proves the image works and the start → serving
 * benchmark (docs/performance.md).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import type { ResultPromise } from 'execa';
import type { OciLayoutStore } from '../../artifacts/index.ts';
import { newKey, publish, renderManifests, writeManifests } from '../../devenv/fixtures/modules.ts';
import { request } from '../../devenv/fixtures/http-client.ts';
import { runtimeConfig, startContainer, unpackImage } from '../../devenv/images/container.ts';
import type { RunningContainer } from '../../devenv/images/container.ts';
import { freePort } from '../../devenv/servers/process.ts';
import { waitFor } from '../../devenv/servers/wait.ts';
import { wagiHello } from '../../node-runtime/testing/assemble.ts';

/** What the served function answers (a WAGI hello). */
export const FUNCTION_BODY = 'hello from a runc container\n';
/** The route the function is served on. */
export const FUNCTION_PATH = '/hello';
export const FUNCTION_HOST = 'fn.test';

/** A node runtime container serving the hello function. */
export interface NodeContainer {
  readonly container: RunningContainer;
  /** http://127.0.0.1:<port>: the tenant port the function answers on. */
  readonly url: string;
  /** From `runc run` to the first 200 from the function. */
  readonly startToServingMs: number;
}

/** Host directories the node reads: a signed module in a local store, its trust key, the rendered manifests. */
interface NodeInputs {
  readonly store: string;
  readonly trust: string;
  readonly manifests: string;
}

async function prepareInputs(work: string): Promise<NodeInputs> {
  const inputs = { store: join(work, 'store'), trust: join(work, 'trust'), manifests: join(work, 'manifests') };
  const key = newKey();
  await mkdir(inputs.trust, { recursive: true });
  await writeFile(join(inputs.trust, 'cosign.pub'), key.publicPem);
  const ref = await publish({ kind: 'registry', registry: 'registry.local', repository: 'flotilla/hello' }, wagiHello(FUNCTION_BODY), key, inputs.store);
  await writeManifests(inputs.manifests, 'functions.yaml', renderManifests([{ name: 'hello', ref }]));
  return inputs;
}

/** `flotilla node` standalone on 127.0.0.1 with one worker, reading `inputs` and writing under `scratch`. */
async function nodeArgs(inputs: NodeInputs, scratch: string): Promise<{ args: string[]; url: string }> {
  const [port, adminPort] = [await freePort(), await freePort()];
  const args = [
    'node', '--manifests', inputs.manifests, '--local-store', inputs.store, '--trust-key', join(inputs.trust, 'cosign.pub'),
    '--host', '127.0.0.1', '--port', String(port), '--admin-port', String(adminPort), '--workers', '1',
    '--cache-dir', join(scratch, 'cache'), '--state-dir', join(scratch, 'state'), '--node-name', 'runc-edge-box',
  ];
  return { args, url: `http://127.0.0.1:${port}` };
}

/** Resolves once the function answers 200 at `url`; rejects at once, with its output, if `child` exits first. */
async function serving(url: string, child: ResultPromise<{ stdin: 'ignore'; reject: false }>, what: string): Promise<void> {
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const exited = child.then((r) => Promise.reject(new Error(`${what} exited (${r.exitCode ?? r.signal}) before serving:\n${output.slice(-4000)}`)));
  exited.catch(() => undefined);
  await Promise.race([
    exited,
    waitFor(async () => ((await request(url, FUNCTION_PATH, { host: FUNCTION_HOST, timeoutMs: 5000 }).catch(() => ({ status: 0 }))).status === 200 ? true : undefined), {
      what: `the function to answer from ${what}`,
      timeoutMs: 60_000,
      intervalMs: 10,
      describe: () => Promise.resolve(`output:\n${output.slice(-4000)}`),
    }),
  ]);
}

/**
 * Starts the node runtime image `reference` of `layout` in runc (a bundle under `work`), the
 * node's inputs bound read-only, and resolves once the function answers.
 */
export async function startNodeContainer(layout: OciLayoutStore, reference: string, work: string): Promise<NodeContainer> {
  const host = await prepareInputs(work);
  const bundle = join(work, 'bundle');
  const image = await unpackImage(layout, reference, join(bundle, 'rootfs'));
  const inside: NodeInputs = { store: '/var/lib/flotilla/store', trust: '/etc/flotilla/trust', manifests: '/etc/flotilla/manifests' };
  const { args, url } = await nodeArgs(inside, '/tmp');
  const config = runtimeConfig(image, {
    args,
    mounts: [
      { source: host.manifests, destination: inside.manifests },
      { source: host.trust, destination: inside.trust },
      { source: host.store, destination: inside.store },
    ],
  });
  const started = performance.now();
  const container = await startContainer(bundle, config);
  try {
    await serving(url, container.process, 'the node runtime container');
  } catch (err) {
    await container.stop(1000);
    throw err;
  }
  return { container, url, startToServingMs: performance.now() - started };
}

/** The same command as a plain host process from the checkout at `repoRoot` (the benchmark's second baseline). */
export async function startNodeProcess(repoRoot: string, work: string): Promise<{ readonly startToServingMs: number; stop(): Promise<void> }> {
  const inputs = await prepareInputs(work);
  const { args, url } = await nodeArgs(inputs, work);
  const started = performance.now();
  const child = execa(process.execPath, ['cli/main.ts', ...args], { cwd: repoRoot, stdin: 'ignore', reject: false });
  const stop = async () => {
    child.kill('SIGTERM');
    await child;
  };
  try {
    await serving(url, child, 'the node runtime process');
  } catch (err) {
    await stop();
    throw err;
  }
  return { startToServingMs: performance.now() - started, stop };
}
