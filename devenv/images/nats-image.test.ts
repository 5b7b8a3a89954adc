import { Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { FlotillaNats } from '../../constructs/nats.ts';
import { basePins } from './base-layer.ts';
import { natsImageConfig } from './image.ts';
import { runtimeConfig } from './container.ts';
import type { ImageConfig } from './container.ts';

const LAYER = { digest: `sha256:${'c'.repeat(64)}`, size: 1 };
const config = JSON.parse(Buffer.from(natsImageConfig([LAYER])).toString('utf8')) as ImageConfig & { rootfs: { diff_ids: string[] } };

/** The nats container of the StatefulSet constructs/nats.ts renders. */
function renderedContainer(): { args: string[]; volumeMounts: { mountPath: string }[]; securityContext: { runAsUser: number; runAsGroup: number } } {
  const chart = Testing.chart();
  new FlotillaNats(chart, 'nats', { namespace: 'flotilla-system', image: `reg.example/flotilla/nats@sha256:${'a'.repeat(64)}` });
  const set = Testing.synth(chart).find((o: { kind?: string }) => o.kind === 'StatefulSet') as { spec: { template: { spec: { containers: ReturnType<typeof renderedContainer>[] } } } };
  return set.spec.template.spec.containers[0]!;
}

describe('the nats image config', () => {
  it('runs nats-server as 65532 with the arguments, store and user the StatefulSet gives it', () => {
    const pod = renderedContainer();
    expect(config.config).toMatchObject({ User: `${pod.securityContext.runAsUser}:${pod.securityContext.runAsGroup}`, Entrypoint: ['/usr/sbin/nats-server'], Cmd: pod.args });
    expect(pod.args[pod.args.indexOf('--store_dir') + 1]).toBe(pod.volumeMounts[0]!.mountPath);
    expect(config.rootfs.diff_ids).toEqual([LAYER.digest]);
  });

  it('makes a runc config runc accepts: non-root, the image command', () => {
    const runtime = runtimeConfig(config) as { process: { user: object; args: string[] } };
    expect(runtime.process.user).toEqual({ uid: 65532, gid: 65532 });
    expect(runtime.process.args).toEqual(['/usr/sbin/nats-server', ...config.config.Cmd!]);
  });
});

describe('base.json nats pins', () => {
  it('takes the server and the libc it links (ldd: libc.so.6 and the loader)', async () => {
    const paths = (await basePins()).nats.debian.flatMap((p) => p.paths);
    expect(paths).toEqual(expect.arrayContaining(['usr/sbin/nats-server', 'lib/x86_64-linux-gnu/libc.so.6', 'lib/x86_64-linux-gnu/ld-linux-x86-64.so.2', 'lib64/ld-linux-x86-64.so.2']));
  });

  it('pins a package both lists take at one version and sha256', async () => {
    const pins = await basePins();
    for (const pin of pins.nats.debian) {
      const base = pins.debian.find((p) => p.package === pin.package);
      if (base !== undefined) expect({ version: pin.version, sha256: pin.sha256 }, pin.package).toEqual({ version: base.version, sha256: base.sha256 });
    }
    expect(pins.nats.debian.some((p) => pins.debian.some((b) => b.package === p.package))).toBe(true);
  });
});
