// Runs every kind's health script in the real Lua 5.1 interpreter (Argo CD uses gopher-lua, Lua 5.1)
// against fixture objects in every state.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { API_VERSION, KIND_NAMES } from '../../api/index.ts';
import type { Condition, FlotillaKind } from '../../api/index.ts';
import { toolPath } from '../../devenv/tools/paths.ts';
import { healthScript } from './health-checks.ts';
import { toLua } from './lua-literal.ts';

const T = '2026-01-01T00:00:00Z';
const cond = (type: Condition['type'], status: Condition['status'], reason: Condition['reason'], message = ''): Condition => ({ type, status, reason, message, lastTransitionTime: T, observedGeneration: 2 });

/** Runs the kind's script with `obj` and returns [status, message]. */
function health(kind: FlotillaKind, status: unknown, generation = 2): [string, string] {
  const obj = { apiVersion: API_VERSION, kind, metadata: { name: 'x', generation }, spec: {}, status };
  const program = `obj = ${toLua(obj)}\nlocal hs = (function()\n${healthScript(kind)}\nend)()\nio.write(hs.status, "\\n", hs.message or "")`;
  const out = execFileSync(toolPath('lua5.1'), ['-'], { input: program, encoding: 'utf8' });
  const [s = '', ...m] = out.split('\n');
  return [s, m.join('\n')];
}

describe.each(KIND_NAMES.map((k) => [k] as const))('Argo CD health of %s', (kind) => {
  it('is Progressing before the operator reports', () => {
    expect(health(kind, undefined)).toEqual(['Progressing', 'Waiting for the Flotilla operator to report status']);
    expect(health(kind, { conditions: [] })[0]).toBe('Progressing');
  });

  it('is Progressing while the status is for an older generation', () => {
    const [s, m] = health(kind, { observedGeneration: 1, conditions: [cond('Ready', 'True', 'Reconciled')] });
    expect(s).toBe('Progressing');
    expect(m).toContain('generation 2');
  });

  it('is Healthy when Ready is True, with its message', () => {
    expect(health(kind, { observedGeneration: 2, conditions: [cond('Ready', 'True', 'AllInstancesReady', '3/3 instances ready')] })).toEqual([
      'Healthy',
      'Ready True (AllInstancesReady): 3/3 instances ready',
    ]);
  });

  it('is Progressing while a rollout is in progress', () => {
    const [s, m] = health(kind, { conditions: [cond('Ready', 'False', 'InstancesNotReady'), cond('Progressing', 'True', 'RolloutInProgress', '1 of 3 nodes updated')] });
    expect(s).toBe('Progressing');
    expect(m).toContain('1 of 3 nodes updated');
  });

  it('is Degraded when Degraded is True, whatever Ready says', () => {
    const [s, m] = health(kind, { conditions: [cond('Ready', 'True', 'Reconciled'), cond('Degraded', 'True', 'InstancesFailing', 'instance on node-a trapped 5 times')] });
    expect(s).toBe('Degraded');
    expect(m).toBe('Degraded True (InstancesFailing): instance on node-a trapped 5 times');
  });

  it('is Degraded when Ready is False and nothing progresses', () => {
    expect(health(kind, { conditions: [cond('Ready', 'False', 'FunctionNotFound', 'no function "x"'), cond('Progressing', 'False', 'RolloutComplete')] })[0]).toBe('Degraded');
  });

  it('is Progressing when only other conditions are reported', () => {
    expect(health(kind, { conditions: [cond('Progressing', 'False', 'Pending')] })).toEqual(['Progressing', 'Waiting for the Ready condition']);
  });
});

describe('Argo CD health of WasmFunction', () => {
  it.each([
    ['SignatureVerified', 'UntrustedKey', 'signed by a key the trust policy does not list'],
    ['ModuleAvailable', 'ManifestNotFound', 'registry answered 404 for sha256:ab'],
  ] as const)('is Degraded when %s is False, with its reason and message', (type, reason, message) => {
    const [s, m] = health('WasmFunction', { conditions: [cond('Ready', 'True', 'AllInstancesReady'), cond(type, 'False', reason, message)] });
    expect(s).toBe('Degraded');
    expect(m).toBe(`${type} False (${reason}): ${message}`);
  });

  it('stays Healthy when signature and module are fine', () => {
    expect(health('WasmFunction', { conditions: [cond('Ready', 'True', 'AllInstancesReady'), cond('SignatureVerified', 'True', 'Verified'), cond('ModuleAvailable', 'True', 'Pulled')] })[0]).toBe('Healthy');
  });
});

describe('toLua', () => {
  it('escapes quotes, backslashes and newlines', () => {
    const out = execFileSync(toolPath('lua5.1'), ['-'], { input: `local t = ${toLua({ s: 'a"b\\c\nd', n: [1, 2] })}\nio.write(t.s, "|", #t.n)`, encoding: 'utf8' });
    expect(out).toBe('a"b\\c\nd|2');
  });
});
