import { describe, expect, it } from 'vitest';
import { FleetError } from './errors.ts';
import { pendingSteps, step } from './steps.ts';

describe('step', () => {
  it('prints start and finish lines that pendingSteps reads back', async () => {
    const lines: string[] = [];
    const ctx = { log: (l: string) => lines.push(l), timings: {} };
    await step(ctx, 'registry', () => Promise.resolve());
    const hanging = step(ctx, 'control plane edge (etcd, kube-apiserver)', () => new Promise(() => undefined));
    void hanging;
    expect(pendingSteps(lines)).toEqual(['control plane edge (etcd, kube-apiserver)']);
  });

  it('fails with StepFailed naming the step, the cause and the log', async () => {
    const ctx = { log: () => undefined, timings: {} };
    const run = step(ctx, 'registry', () => Promise.reject(new Error('registry could not listen on 127.0.0.1:5000')), '/logs/registry.log');
    await expect(run).rejects.toThrow(FleetError);
    await expect(run).rejects.toThrow(/^step "registry" failed after \d+\.\d s: registry could not listen on 127\.0\.0\.1:5000; see \/logs\/registry\.log$/);
  });
});

describe('pendingSteps', () => {
  const cases: { name: string; lines: string[]; expected: string[] }[] = [
    { name: 'nothing started', lines: ['echo: cached /x.wasm'], expected: [] },
    { name: 'parallel steps, some done', lines: ['  registry ...', '  git server ...', '  NATS (JetStream) ...', '✓ git server (0.1 s)', '✓ registry (0.1 s)'], expected: ['NATS (JetStream)'] },
    { name: 'output of a step is not a step', lines: ['  build, push and sign ...', '    echo: 127.0.0.1:5000/functions/echo@sha256:ab signed'], expected: ['build, push and sign'] },
    { name: 'all done', lines: ['  tools ...', '✓ tools (0.0 s)', 'fleet ready'], expected: [] },
  ];
  for (const c of cases) it(c.name, () => expect(pendingSteps(c.lines)).toEqual(c.expected));
});
