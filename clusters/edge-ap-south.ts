/** Mumbai edge: small devices with tight ceilings; hello over MQTT, misbehave fenced by short limits. */
import { FunctionApp } from '../constructs/index.ts';
import type { ClusterOverlay } from './base.ts';

export const EDGE_AP_SOUTH: ClusterOverlay = {
  name: 'edge-ap-south',
  region: 'ap-south-1',
  // MQTT: hello's sensor trigger.
  network: { eventBrokers: [{ cidr: '10.30.8.5/32', ports: [1883] }] },
  runtimes: {
    default: {
      version: '0.1.0',
      engine: { workers: 1 },
      ceilings: { memoryPages: 512, timeoutMs: 5000, concurrency: 8 },
      cacheSizeMiB: 128,
    },
  },
  apps: (cluster, modules) => {
    new FunctionApp(cluster, 'hello', {
      module: modules.hello,
      limits: { memoryPages: 128, timeoutMs: 1000 },
      http: { host: 'hello.edge-ap-south.flotilla.example' },
      events: [{ mqtt: { url: 'mqtt://mqtt.ap-south.flotilla.example:1883', topic: 'sensors/+/hello', qos: 1 }, deadLetter: 'sensors/dead' }],
      scaling: { minInstances: 1, maxInstances: 2 },
    });
    new FunctionApp(cluster, 'misbehave', {
      module: modules.misbehave,
      limits: { memoryPages: 32, timeoutMs: 250, concurrency: 1 },
      http: { host: 'misbehave.edge-ap-south.flotilla.example', circuitBreaker: { consecutiveErrors: 3, openMs: 10000 }, retries: { attempts: 0 } },
      scaling: { minInstances: 1, maxInstances: 1 },
    });
  },
};
