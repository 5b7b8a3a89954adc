/**
 * Starts the shared servers of a test run and stops them again. Free of vitest so that
 * `flotilla up` and bench scripts can start the same set.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasTool } from '../tools/paths.ts';
import { startEtcd } from './etcd.ts';
import { startKubeApiServer } from './kube-apiserver.ts';
import { startKubeControllerManager } from './kube-controller-manager.ts';
import { startMosquitto } from './mosquitto.ts';
import { startNats } from './nats.ts';
import type { RunningServer } from './process.ts';
import { startReferrersRegistry } from './referrers-registry.ts';
import { startRegistry } from './registry.ts';
import type { HarnessInfo } from './types.ts';

export interface Harness {
  readonly info: HarnessInfo;
  /** Stops every server (reverse start order) and, unless `keep`, removes the work dir. */
  stop(opts?: { readonly keep?: boolean }): Promise<void>;
}

export interface StartOptions {
  /** Parent of the run's temp dir. @default os.tmpdir() */
  readonly baseDir?: string;
  /** Progress lines (server started, in how long). @default no output */
  readonly log?: (line: string) => void;
}

/** Starts etcd, kube-apiserver, kube-controller-manager, both registries, NATS and Mosquitto. */
export async function startHarness(opts: StartOptions = {}): Promise<Harness> {
  const workDir = mkdtempSync(join(opts.baseDir ?? tmpdir(), 'flotilla-harness-'));
  const logDir = join(workDir, 'logs');
  mkdirSync(logDir);
  const started: RunningServer[] = [];
  const log = opts.log ?? (() => undefined);
  const stopAll = async (): Promise<void> => {
    for (const s of started.reverse()) await s.stop();
  };
  async function track<T extends RunningServer>(p: Promise<T>): Promise<T> {
    const t = performance.now();
    const s = await p;
    started.push(s);
    log(`harness: ${s.name} ready in ${Math.round(performance.now() - t)} ms (log ${s.logFile})`);
    return s;
  }

  // The apiserver is the slow one; the others start meanwhile. allSettled, not all: on a failure
  // every start must have finished before stopping, or a late one would be left running.
  const kubeChain = (async () => {
    const etcd = await track(startEtcd(join(workDir, 'etcd'), logDir));
    const api = await track(startKubeApiServer(join(workDir, 'kube'), logDir, etcd.endpoint));
    await track(startKubeControllerManager(join(workDir, 'kcm'), logDir, api));
    return api;
  })();
  const registryP = track(startRegistry(join(workDir, 'registry'), logDir));
  const zotP = hasTool('referrers-registry') ? track(startReferrersRegistry(join(workDir, 'referrers-registry'), logDir)) : Promise.resolve(undefined);
  const natsP = track(startNats(join(workDir, 'nats'), logDir));
  const mqttP = track(startMosquitto(join(workDir, 'mosquitto'), logDir));
  const results = await Promise.allSettled([kubeChain, registryP, zotP, natsP, mqttP]);
  const failures = results.filter((r) => r.status === 'rejected').map((r) => r.reason as unknown);
  if (failures.length > 0) {
    await stopAll();
    if (failures.length === 1) throw failures[0];
    throw new AggregateError(failures, `harness: ${failures.length} servers failed to start:\n\n${failures.map((f) => (f instanceof Error ? f.message : String(f))).join('\n\n')}`);
  }
  // All settled as fulfilled: this only unwraps them, typed.
  const [api, registry, zot, nats, mqtt] = await Promise.all([kubeChain, registryP, zotP, natsP, mqttP]);
  const info: HarnessInfo = {
    workDir,
    logDir,
    kube: { server: api.server, kubeconfig: api.kubeconfig, token: api.token, caFile: api.caFile, caKeyFile: api.pki.caKeyFile },
    registry: { host: registry.host, url: registry.url },
    ...(zot ? { zot: { host: zot.host, url: zot.url } } : {}),
    nats: { url: nats.url, monitorUrl: nats.monitorUrl },
    mqtt: { url: mqtt.url },
  };
  return {
    info,
    async stop(stopOpts = {}) {
      await stopAll();
      if (!stopOpts.keep) rmSync(workDir, { recursive: true, force: true });
    },
  };
}
