import { describe, expect, it } from 'vitest';
import { Testing } from 'cdk8s';
import { FunctionApp } from './function-app.ts';
import { FunctionRoute } from './function-route.ts';
import { FunctionTrigger } from './function-trigger.ts';
import { EdgeCluster } from './edge-cluster.ts';
import { CLUSTER_PROPS } from './testing.ts';
import { renderApp } from './render.ts';
import { WasmFunction } from './wasm-function.ts';

const REF = `r.example:5000/fn/a@sha256:${'ab'.repeat(32)}`;

function problems(build: (c: EdgeCluster) => void): string {
  const app = Testing.app();
  build(new EdgeCluster(app, 'test-edge', CLUSTER_PROPS));
  try {
    renderApp(app);
    return '';
  } catch (err) {
    return (err as Error).message;
  }
}

describe('cross-object rules at synth', () => {
  it('accepts a consistent cluster', () => {
    expect(problems((c) => new FunctionApp(c, 'echo', { module: REF, http: { host: 'echo.example' }, schedules: ['@hourly'] }))).toBe('');
  });

  it('refuses an event trigger whose broker port the node runtimes\' NetworkPolicy does not open', () => {
    const msg = problems((c) => new FunctionApp(c, 'jobs', { module: REF, events: [{ nats: { url: 'nats://nats.example', stream: 'S', subject: 'a.b' } }] }));
    expect(msg).toContain('reads nats://nats.example, but network.eventBrokers opens no port 4222');
    expect(msg).toContain("add { cidr: '<broker address>/32', ports: [4222] } to the cluster's network.eventBrokers");
    const app = Testing.app();
    const open = new EdgeCluster(app, 'test-edge', { ...CLUSTER_PROPS, network: { ...CLUSTER_PROPS.network, eventBrokers: [{ cidr: '10.0.0.5/32', ports: [4222] }] } });
    new FunctionApp(open, 'jobs', { module: REF, events: [{ nats: { url: 'nats://nats.example', stream: 'S', subject: 'a.b' } }] });
    expect(() => renderApp(app)).not.toThrow();
  });

  it('reports every problem at once, with construct paths', () => {
    const msg = problems((c) => {
      const a = new WasmFunction(c, 'a', { module: REF, limits: { memoryPages: 1024 } });
      new WasmFunction(c, 'b', { module: REF, runtimeClass: 'gpu' });
      new FunctionTrigger(c, 't-missing', { function: { name: 'ghost' }, source: { type: 'cron', cron: { schedule: '@daily' } } });
      new FunctionTrigger(c, 't-next', { function: a, source: { type: 'cron', cron: { schedule: '@daily' } }, next: [{ name: 'nobody' }] });
      new FunctionRoute(c, 'r1', { host: 'x.example', backends: [{ function: a, weight: 100 }] });
      new FunctionRoute(c, 'r2', { host: 'x.example', methods: ['GET'], backends: [{ function: { name: 'phantom' }, weight: 100 }] });
      new FunctionTrigger(c, 't-http', { function: a, source: { type: 'http', http: { routeRef: 'nowhere' } } });
    });
    expect(msg).toMatch(/^\d+ problem\(s\) across the fleet/);
    expect(msg).toContain('[test-edge] test-edge/a: limits.memoryPages is 1024, above the ceiling 512 of WasmRuntime "default"');
    expect(msg).toContain('test-edge/b: runtimeClass "gpu" names no WasmRuntime of this cluster (have: default)');
    expect(msg).toContain('test-edge/t-missing: functionRef names WasmFunction "ghost", which is not declared in namespace functions');
    expect(msg).toContain('test-edge/t-next: next[0] names WasmFunction "nobody"');
    expect(msg).toContain('test-edge/r2: backends[0] names WasmFunction "phantom"');
    expect(msg).toContain('test-edge/r2: host x.example path / is already claimed by FunctionRoute functions/r1 at test-edge/r1');
    expect(msg).toContain('test-edge/t-http: http.routeRef names FunctionRoute "nowhere"');
  });

  it("refuses volumes outside the pool's host path ceiling (none by default), and accepts them once allowed", () => {
    const volumes = [{ name: 'data', hostPath: '/srv/data/a', mountPath: '/data', readOnly: false }];
    const msg = problems((c) => new WasmFunction(c, 'files', { module: REF, capabilities: { volumes } }));
    expect(msg).toContain('test-edge/files: capabilities.volumes data: expected /srv/data/a at or below an entry of WasmRuntime "default" spec.hostPaths.allowed (empty: no host paths), got none');
    const app = Testing.app();
    const cluster = new EdgeCluster(app, 'test-edge', { ...CLUSTER_PROPS, runtimes: { default: { ...CLUSTER_PROPS.runtimes['default']!, hostPaths: { allowed: [{ path: '/srv/data' }] } } } });
    new WasmFunction(cluster, 'files', { module: REF, capabilities: { volumes } });
    expect(() => renderApp(app)).toThrow('capabilities.volumes data: expected a read-only volume');
  });

  it('accepts a reference declared with fromName', () => {
    expect(problems((c) => new FunctionTrigger(c, 't', { function: WasmFunction.fromName(c, 'ext', 'elsewhere'), source: { type: 'cron', cron: { schedule: '@daily' } } }))).toBe('');
  });

  it('finds chaining cycles across triggers', () => {
    const msg = problems((c) => {
      const a = new WasmFunction(c, 'a', { module: REF });
      const b = new WasmFunction(c, 'b', { module: REF });
      new FunctionTrigger(c, 'ta', { function: a, source: { type: 'cron', cron: { schedule: '@daily' } }, next: [b] });
      new FunctionTrigger(c, 'tb', { function: b, source: { type: 'cron', cron: { schedule: '@daily' } }, next: [a] });
    });
    expect(msg).toContain('chaining cycle functions/a -> functions/b -> functions/a');
  });

  it('lets routes share a host on different paths or disjoint methods', () => {
    expect(
      problems((c) => {
        const a = new WasmFunction(c, 'a', { module: REF });
        new FunctionRoute(c, 'r1', { host: 'x.example', pathPrefix: '/a', backends: [{ function: a, weight: 100 }] });
        new FunctionRoute(c, 'r2', { host: 'x.example', pathPrefix: '/b', backends: [{ function: a, weight: 100 }] });
        new FunctionRoute(c, 'r3', { host: 'x.example', pathPrefix: '/a', methods: ['POST'], backends: [{ function: a, weight: 100 }] });
      }),
    ).toContain('r3: host x.example path /a is already claimed');
  });

  it('refuses an http trigger whose route does not serve its function', () => {
    const msg = problems((c) => {
      const a = new WasmFunction(c, 'a', { module: REF });
      const b = new WasmFunction(c, 'b', { module: REF });
      new FunctionRoute(c, 'r', { host: 'x.example', backends: [{ function: a, weight: 100 }] });
      new FunctionTrigger(c, 't', { function: b, source: { type: 'http', http: { routeRef: 'r' } } });
    });
    expect(msg).toContain('FunctionRoute "r" has no backend "b"');
  });
});
