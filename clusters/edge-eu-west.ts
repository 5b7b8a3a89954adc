/** Frankfurt edge: a large-node pool, compute on a schedule chained into echo, hello scaled to zero. */
import { FunctionApp, WasmFunction } from '../constructs/index.ts';
import type { ClusterOverlay } from './base.ts';

export const EDGE_EU_WEST: ClusterOverlay = {
  name: 'edge-eu-west',
  region: 'eu-west-1',
  runtimes: {
    large: {
      version: '0.1.0',
      engine: { workers: 8 },
      ceilings: { memoryPages: 16384, timeoutMs: 60000, concurrency: 128 },
      cacheSizeMiB: 8192,
      nodeSelector: { 'flotilla.dev/pool': 'large' },
    },
  },
  apps: (cluster, modules) => {
    new FunctionApp(cluster, 'compute', {
      module: modules.compute,
      runtime: { name: 'large' },
      limits: { memoryPages: 8192, timeoutMs: 30000, concurrency: 4 },
      scaling: { minInstances: 2, maxInstances: 20, targetConcurrency: 4 },
      schedules: ['*/5 * * * *'],
      next: [WasmFunction.fromName(cluster, 'echo-ref', 'echo')],
      placement: { topologySpread: { topologyKey: 'topology.kubernetes.io/zone', maxSkew: 1, whenUnsatisfiable: 'ScheduleAnyway' } },
    });
    new FunctionApp(cluster, 'hello', {
      module: modules.hello,
      http: { host: 'hello.edge-eu-west.flotilla.example', pathPrefix: '/hello', rateLimit: { requestsPerSecond: 500, burst: 1000 } },
      scaling: { minInstances: 0, scaleToZero: true, maxInstances: 8 },
    });
  },
};
