/**
 * An OCI 1.1 registry with the referrers API (devenv/tools/referrers-registry: go-containerregistry's
 * registry). It stands in for zot, whose Go module the reachable module proxy does not serve.
 * Manifests live in memory, blobs on disk: enough for a test run, gone with the process.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { toolPath } from '../tools/paths.ts';
import { freePort, httpReady, startServer } from './process.ts';
import type { Registry } from './registry.ts';

export async function startReferrersRegistry(dir: string, logDir: string): Promise<Registry> {
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const server = await startServer({
    name: 'referrers-registry',
    command: toolPath('referrers-registry'),
    args: [`-address=${host}`, `-disk=${dir}`],
    logFile: join(logDir, 'referrers-registry.log'),
    ready: () => httpReady(`http://${host}/v2/`),
  });
  return { ...server, host, url: `http://${host}` };
}
