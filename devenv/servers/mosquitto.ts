/** Mosquitto 2 MQTT broker: one anonymous listener on loopback, no persistence. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toolPath } from '../tools/paths.ts';
import { freePort, startServer, tcpReady } from './process.ts';
import type { RunningServer } from './process.ts';

export interface Mqtt extends RunningServer {
  /** mqtt://127.0.0.1:<port> */
  readonly url: string;
}

export async function startMosquitto(dir: string, logDir: string): Promise<Mqtt> {
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const config = join(dir, 'mosquitto.conf');
  writeFileSync(
    config,
    [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false', 'log_dest stdout', 'log_type error', 'log_type warning', 'log_type notice', ''].join('\n'),
  );
  const server = await startServer({
    name: 'mosquitto',
    command: toolPath('mosquitto'),
    args: ['-c', config],
    logFile: join(logDir, 'mosquitto.log'),
    ready: () => tcpReady(port),
  });
  return { ...server, url: `mqtt://127.0.0.1:${port}` };
}
