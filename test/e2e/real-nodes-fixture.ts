/**
 * What an e2e test on real kubelet nodes sets up before the platform: the operator and node runtime
 * images built from this checkout and pushed to the loopback registry under the name
 * clusters/images.json uses (the nodes' containerd mirrors that registry to the loopback one), the
 * `kubernetes` Service stand-in, two Ready nodes, and the host dirs a pool's pods write.
 */
import { chownSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { copyManifest, openLayout, openStore, parseReference } from '../../artifacts/index.ts';
import { buildImages } from '../../devenv/images/build.ts';
import { startKubeNodes } from '../../devenv/servers/kube-node.ts';
import type { KubeNodes } from '../../devenv/servers/kube-node.ts';
import { routeKubernetesService } from '../../devenv/servers/kubernetes-service.ts';
import { cacheRoot } from '../../examples/functions/cache.ts';
import type { KubeClient } from '../../kube/index.ts';
import { harness, logTail, uniqueName, waitFor } from '../harness/index.ts';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The registry clusters/images.json pins images under; the nodes' containerd mirrors it to the loopback registry. */
export const PINNED_REGISTRY = 'registry.flotilla.local:5000';
/** The version the images are tagged with (WasmRuntime spec.version). */
export const VERSION = '0.1.0';
/** uid:gid of the images' user (devenv/images/image.ts). */
const IMAGE_USER = 65532;

/** Manifest digests of the images this run built, by image name. */
export type BuiltDigests = Readonly<Record<'operator' | 'node-runtime' | 'nats', string>>;

/** Builds the images from this checkout into `work` and pushes each (operator, node runtime, NATS) as flotilla/<name>:VERSION. */
export async function buildAndPushImages(work: string): Promise<BuiltDigests> {
  const h = harness();
  const layout = await openLayout(join(work, 'layout'));
  const built = await buildImages({ repoRoot: REPO_ROOT, layout, debCache: join(cacheRoot(), 'images', 'debs'), workDir: work });
  const digest = (name: keyof BuiltDigests): string => {
    const image = built.find((b) => b.spec.name === name);
    if (!image) throw new Error(`buildImages: expected a ${name} image, got ${built.map((b) => b.spec.name).join(', ')}`);
    return image.digest;
  };
  const digests: BuiltDigests = { operator: digest('operator'), 'node-runtime': digest('node-runtime'), nats: digest('nats') };
  for (const [name, d] of Object.entries(digests)) {
    await copyManifest(layout, await openStore(parseReference(`${h.registry.host}/flotilla/${name}:${VERSION}`)), d, { tag: VERSION });
  }
  return digests;
}

interface NodeObject {
  readonly status?: { readonly conditions?: readonly { readonly type: string; readonly status: string }[] };
}

/** Two kubelet nodes (and the `kubernetes` Service route) on the harness apiserver, waited Ready. `stop` undoes both. */
export async function startReadyNodes(client: KubeClient): Promise<{ cluster: KubeNodes; stop: () => Promise<void> }> {
  const h = harness();
  const unroute = await routeKubernetesService(h.kube.server);
  let cluster: KubeNodes | undefined;
  const stop = async () => {
    try {
      await cluster?.stop();
    } finally {
      await unroute();
    }
  };
  try {
    cluster = await startKubeNodes({
      baseDir: h.workDir,
      logDir: h.logDir,
      api: h.kube,
      registry: h.registry.host,
      mirrors: { [PINNED_REGISTRY]: h.registry.host },
      nodes: [{ name: uniqueName('node-a') }, { name: uniqueName('node-b') }],
    });
    const nodes = cluster.nodes;
    await Promise.all(
      nodes.map((n) =>
        waitFor(
          async () => ((await client.request<NodeObject>({ method: 'GET', path: `/api/v1/nodes/${n.name}` })).status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? true : undefined),
          { what: `Node ${n.name} Ready`, timeoutMs: 180_000, describe: () => Promise.resolve(logTail(n.kubelet.logFile, 30)) },
        ),
      ),
    );
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
  return { cluster, stop };
}

/**
 * Site preparation a real cluster also needs: kubelet creates a missing hostPath as root 0755,
 * which the image's user cannot write (the harness nodes share this host's filesystem, so both
 * nodes' pods share the dirs). Returns the cleanup.
 */
export function preparePoolDirs(namespace: string, pool: string): () => void {
  const made: string[] = [];
  for (const base of ['/var/cache/flotilla', '/var/lib/flotilla/state']) {
    const dir = join(base, namespace, pool);
    mkdirSync(dir, { recursive: true });
    chownSync(dir, IMAGE_USER, IMAGE_USER);
    made.push(join(base, namespace));
  }
  return () => made.forEach((d) => rmSync(d, { recursive: true, force: true }));
}

/** Runs every cleanup step even when one fails (nodes, their pods and DNAT rules are host-wide), then throws all failures at once. */
export async function runCleanup(what: string, steps: readonly (() => unknown)[]): Promise<void> {
  const failures: unknown[] = [];
  for (const step of steps) await Promise.resolve().then(step).catch((err: unknown) => failures.push(err));
  if (failures.length > 0) throw new AggregateError(failures, `${what} cleanup: ${failures.length} steps failed`);
}
