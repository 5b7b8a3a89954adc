/** nats-server with JetStream on, its store in the harness dir, monitoring for the readiness probe. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toolPath } from '../tools/paths.ts';
import { freePort, httpReady, startServer } from './process.ts';
import type { RunningServer } from './process.ts';

export interface Nats extends RunningServer {
  /** nats://127.0.0.1:<port> */
  readonly url: string;
  /** http://127.0.0.1:<port> of the monitoring endpoint (/varz, /jsz, /healthz). */
  readonly monitorUrl: string;
}

export interface NatsOptions {
  /**
   * nats-server config text appended to the command line's settings, e.g. an `authorization` block
   * (api/nats-permissions.ts renderAuthorization): then only its users may connect.
   * @default none: any client may connect and use any subject
   */
  readonly config?: string;
}

/** Starts nats-server with JetStream, its store under `dir`, logging to `logDir`. */
export async function startNats(dir: string, logDir: string, options: NatsOptions = {}): Promise<Nats> {
  mkdirSync(dir, { recursive: true });
  const config = options.config !== undefined ? join(dir, 'nats-server.conf') : undefined;
  if (config !== undefined) writeFileSync(config, options.config ?? '', { mode: 0o600 });
  const [port, monitorPort] = [await freePort(), await freePort()];
  const monitorUrl = `http://127.0.0.1:${monitorPort}`;
  const server = await startServer({
    name: 'nats-server',
    command: toolPath('nats-server'),
    args: ['-a', '127.0.0.1', '-p', String(port), '-m', String(monitorPort), '-js', '-sd', dir, '-n', 'flotilla-test', ...(config !== undefined ? ['-c', config] : [])],
    port,
    logFile: join(logDir, 'nats-server.log'),
    // 200 only once JetStream is up, not merely once the client port listens.
    ready: () => httpReady(`${monitorUrl}/healthz?js-enabled-only=true`),
  });
  return { ...server, url: `nats://127.0.0.1:${port}`, monitorUrl };
}
