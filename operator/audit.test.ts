import { describe, expect, it } from 'vitest';
import { AuditLog, verifyAudit } from '../api/index.ts';
import type { EventInput, EventRecorder, KubeObject } from '../kube/index.ts';
import { audited, auditKind } from './audit.ts';

describe('operator audit lines', () => {
  it.each([
    [{ type: 'Normal', reason: 'Verified', action: 'Verify', note: 'signed by key' }, 'verification'],
    [{ type: 'Warning', reason: 'UntrustedKey', action: 'Verify', note: '' }, 'verification'],
    [{ type: 'Warning', reason: 'HostPathNotAllowed', action: 'Place', note: '' }, 'denial'],
    [{ type: 'Warning', reason: 'AuthNotEnforceable', action: 'Route', note: '' }, 'denial'],
    [{ type: 'Normal', reason: 'AllInstancesReady', action: 'Place', note: '' }, 'deploy'],
    [{ type: 'Normal', reason: 'AllNodesReady', action: 'Reconcile', note: '' }, 'admin'],
  ] as const)('classifies %o as %s', (e, kind) => {
    expect(auditKind(e)).toBe(kind);
  });

  it('writes every Event to the audit log, in a chain that verifies, and still records it', async () => {
    const lines: string[] = [];
    const seen: EventInput[] = [];
    const inner: EventRecorder = { record: (_o, e) => Promise.resolve(void seen.push(e)) };
    const recorder = audited(inner, new AuditLog('operator/test', (l) => lines.push(l)));
    const fn: KubeObject = { apiVersion: 'flotilla.dev/v1alpha1', kind: 'WasmFunction', metadata: { name: 'echo', namespace: 'edge' } };
    await recorder.record(fn, { type: 'Normal', reason: 'Verified', action: 'Verify', note: 'sha256:aa signed by a trusted key' });
    expect(seen).toHaveLength(1);
    expect(JSON.parse(lines[1]!)).toMatchObject({ kind: 'verification', action: 'Verified', object: 'WasmFunction edge/echo', details: { note: 'sha256:aa signed by a trusted key' } });
    expect(verifyAudit(`${lines.join('\n')}\n`).chains.size).toBe(1);
  });
});
