import { describe, expect, it } from 'vitest';
import type { FleetState } from './state.ts';
import { summary } from './summary.ts';

const state = (placedOn: string[]): FleetState => ({
  phase: 'ready', supervisorPid: 1, pids: [], workDir: '/tmp/w', logDir: '/tmp/l', startedAt: '2026-11-25T00:00:00Z',
  clusters: [{
    name: 'edge-a', server: 'https://127.0.0.1:1', kubeconfig: '/tmp/kc',
    nodes: [{ name: 'edge-a-node-1', pool: 'default', url: 'http://127.0.0.1:11' }, { name: 'edge-a-node-2', pool: 'default', url: 'http://127.0.0.1:12' }, { name: 'edge-a-node-1', pool: 'large', url: 'http://127.0.0.1:13' }],
    functions: [{ name: 'echo', namespace: 'functions', function: 'echo', host: 'echo.example', path: '/', pool: 'default', placedOn }],
  }],
});

describe('summary', () => {
  it('lists a function on every node of its pool, saying where it runs and where requests are forwarded', () => {
    const lines = summary(state(['edge-a-node-2'])).split('\n').filter((l) => l.includes('curl'));
    expect(lines).toEqual([
      `  echo       curl -H 'Host: echo.example' http://127.0.0.1:11/    (edge-a-node-1, forwards to edge-a-node-2)`,
      `  echo       curl -H 'Host: echo.example' http://127.0.0.1:12/    (edge-a-node-2, runs here)`,
    ]);
  });

  it('lists a function scaled to zero on every node of its pool, saying the first request starts it', () => {
    const lines = summary(state([])).split('\n').filter((l) => l.includes('curl'));
    expect(lines).toHaveLength(2);
    expect(lines.every((l) => l.endsWith(', scaled to zero: the first request starts it)'))).toBe(true);
    expect(lines.join('\n')).not.toContain(':13');
  });
});
