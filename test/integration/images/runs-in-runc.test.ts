/**
 * The images run as built, with no kubelet and no container daemon: unpacked into a root
 * filesystem and started by Debian's runc as the image's user (65532) on a read-only root. The node
 * runtime image serves a function over HTTP; the operator image starts against the API server; the
 * nats image serves a NATS client and JetStream from a writable store directory.
 */
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { chmod, chown, copyFile, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OciLayoutStore } from '../../../artifacts/index.ts';
import { openLayout } from '../../../artifacts/index.ts';
import { FUNCTION_BODY, FUNCTION_HOST, FUNCTION_PATH, startNodeContainer } from '../../../bench/images/node-container.ts';
import type { NodeContainer } from '../../../bench/images/node-container.ts';
import { request } from '../../../devenv/fixtures/http-client.ts';
import { NATS_ARGS, NATS_STORE_DIR } from '../../../constructs/nats-server.ts';
import { APP_USER } from '../../../devenv/images/base-layer.ts';
import { buildImages } from '../../../devenv/images/build.ts';
import { runtimeConfig, startContainer, unpackImage } from '../../../devenv/images/container.ts';
import { cacheRoot } from '../../../examples/functions/cache.ts';
import { freePort } from '../../../devenv/servers/process.ts';
import { toolPath } from '../../../devenv/tools/paths.ts';
import { createTestNamespace, harness, waitFor } from '../../harness/index.ts';
import type { TestNamespace } from '../../harness/index.ts';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

let work: string;
let layout: OciLayoutStore;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'flotilla-images-runc-'));
  layout = await openLayout(join(work, 'layout'));
  await buildImages({ repoRoot: REPO_ROOT, layout, debCache: join(cacheRoot(), 'images', 'debs'), workDir: work });
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** The container's init process as the host sees it: its uids and whether its root is mounted read-only. */
async function processFacts(id: string): Promise<{ uids: string; rootReadOnly: boolean }> {
  const state = JSON.parse((await execa(toolPath('runc'), ['state', id])).stdout) as { pid: number };
  const status = await readFile(`/proc/${state.pid}/status`, 'utf8');
  const root = (await readFile(`/proc/${state.pid}/mountinfo`, 'utf8')).split('\n').find((line) => line.split(' ')[4] === '/');
  return { uids: /^Uid:\s+(.*)$/m.exec(status)?.[1]?.trim() ?? '', rootReadOnly: root?.split(' ')[5]?.split(',').includes('ro') ?? false };
}

describe('the node runtime image in runc', () => {
  let node: NodeContainer | undefined;
  afterAll(() => node?.container.stop());

  it('serves a function from its manifests and local store, as uid 65532 on a read-only root', async () => {
    node = await startNodeContainer(layout, 'node-runtime', join(work, 'node'));
    const reply = await request(node.url, FUNCTION_PATH, { host: FUNCTION_HOST });
    expect(reply.status).toBe(200);
    expect(reply.body).toBe(FUNCTION_BODY);
    expect(await processFacts(node.container.id)).toEqual({ uids: '65532\t65532\t65532\t65532', rootReadOnly: true });
    console.log(`node runtime container: runc run -> function serving in ${node.startToServingMs.toFixed(0)} ms`);
  });

  it('exits on SIGTERM', async () => {
    expect(node).toBeDefined();
    await node!.container.stop();
    const result = await node!.container.process;
    expect(result.stdout).toContain('Shutting down');
    expect(result.exitCode).toBe(0);
    node = undefined;
  });
});

describe('the operator image in runc', () => {
  let ns: TestNamespace | undefined;
  afterAll(() => ns?.delete());

  it('starts against the API server and answers /healthz, as uid 65532 on a read-only root', async () => {
    ns = await createTestNamespace('images-operator');
    const bundle = join(work, 'operator');
    const image = await unpackImage(layout, 'operator', join(bundle, 'rootfs'));
    expect(image.config).toMatchObject({ User: '65532:65532', Cmd: ['operator'], WorkingDir: '/app' });
    const secrets = join(bundle, 'kube');
    await mkdir(secrets, { recursive: true });
    await copyFile(harness().kube.kubeconfig, join(secrets, 'kubeconfig'));
    await chmod(join(secrets, 'kubeconfig'), 0o644);
    const port = await freePort();
    const container = await startContainer(bundle, runtimeConfig(image, {
      args: ['operator', '--kubeconfig', '/etc/flotilla/kube/kubeconfig', '--namespace', ns.name, '--watch-namespace', ns.name, '--listen', `127.0.0.1:${port}`, '--no-leader-elect'],
      mounts: [{ source: secrets, destination: '/etc/flotilla/kube' }],
    }));
    try {
      await waitFor(async () => ((await request(`http://127.0.0.1:${port}`, '/healthz')).status === 200 ? true : undefined), { what: 'the operator container /healthz', timeoutMs: 60_000 });
      expect(await processFacts(container.id)).toEqual({ uids: '65532\t65532\t65532\t65532', rootReadOnly: true });
    } finally {
      await container.stop();
    }
    expect((await container.process).exitCode).toBe(0);
  });
});

describe('the nats image in runc', () => {
  it('answers a NATS client and JetStream, as uid 65532 on a read-only root with a writable store', async () => {
    const bundle = join(work, 'nats');
    const image = await unpackImage(layout, 'nats', join(bundle, 'rootfs'));
    // Run bare, the image runs what the StatefulSet passes (constructs/nats.ts uses the same NATS_ARGS).
    expect(image.config).toMatchObject({ User: '65532:65532', Entrypoint: ['/usr/sbin/nats-server'], Cmd: [...NATS_ARGS] });
    const store = join(bundle, 'store');
    await mkdir(store, { recursive: true });
    // As the pod's fsGroup makes the emptyDir: writable by 65532 and nobody else.
    await chown(store, APP_USER.uid, APP_USER.gid);
    await chmod(store, 0o700);
    const [port, monitor] = [await freePort(), await freePort()];
    // The image's arguments with free ports (host network), bound to loopback.
    const args = ['--jetstream', '--store_dir', NATS_STORE_DIR, '--port', String(port), '--http_port', String(monitor), '--addr', '127.0.0.1'];
    const container = await startContainer(bundle, runtimeConfig(image, { args, mounts: [{ source: store, destination: NATS_STORE_DIR, readOnly: false }] }));
    try {
      // The StatefulSet's readiness probe: 200 only once JetStream is up.
      await waitFor(async () => ((await request(`http://127.0.0.1:${monitor}`, '/healthz?js-enabled-only=true')).status === 200 ? true : undefined), { what: 'the nats container /healthz?js-enabled-only=true', timeoutMs: 30_000 });
      expect(await processFacts(container.id)).toEqual({ uids: '65532\t65532\t65532\t65532', rootReadOnly: true });
      const nc = await connect({ servers: `nats://127.0.0.1:${port}` });
      try {
        expect(nc.info?.jetstream).toBe(true);
        const jsm = await jetstreamManager(nc);
        await jsm.streams.add({ name: 'PROBE', subjects: ['probe.>'] });
        const ack = await jetstream(nc).publish('probe.one', 'hello');
        expect(ack).toMatchObject({ stream: 'PROBE', seq: 1 });
        expect((await jsm.streams.getMessage('PROBE', { seq: 1 }))?.string()).toBe('hello');
      } finally {
        await nc.close();
      }
      // The stream went to the mounted store, not to the read-only root.
      expect(await readdir(join(store, 'jetstream'))).toContain('$G');
    } finally {
      await container.stop();
    }
    // nats-server 2.9.10 shuts down at once on SIGTERM, JetStream flushed first, and exits 1 (not 0) for it.
    const result = await container.process;
    expect(`${result.stdout}${result.stderr}`).toContain('JetStream Shutdown');
    expect(result.exitCode).toBe(1);
  });
});
