import { describe, expect, it } from 'vitest';
import { AuditError, AuditLog, verifyAudit } from './audit.ts';

/** A file of one chain of five lines (anchor + four events), with a log line of another kind between. */
function file(): string[] {
  const lines: string[] = [];
  const log = new AuditLog('node/n1', (l) => lines.push(l), () => new Date('2026-12-07T14:00:00Z'));
  log.record({ kind: 'verification', action: 'Verified', object: 'WasmFunction edge/echo', details: { digest: 'sha256:aa', key: 'SHA256:k' } });
  lines.push('{"level":30,"msg":"Applied desired state"}');
  log.record({ kind: 'deploy', action: 'ModuleLoaded', object: 'WasmFunction edge/echo', details: { digest: 'sha256:aa' } });
  log.record({ kind: 'denial', action: 'Unauthenticated', object: 'FunctionRoute edge/api', details: { status: 401 } });
  log.record({ kind: 'admin', action: 'DesiredStateApplied', object: 'node n1', details: { functions: 1 } });
  return lines;
}
const text = (lines: readonly string[]) => `${lines.join('\n')}\n`;

function failure(t: string): AuditError {
  try {
    verifyAudit(t);
  } catch (err) {
    if (err instanceof AuditError) return err;
    throw err;
  }
  throw new Error('expected the file not to verify');
}

describe('audit log', () => {
  it('verifies a whole file, skipping other log lines', () => {
    const s = verifyAudit(text(file()));
    expect(s.skipped).toBe(1);
    expect([...s.chains.values()]).toEqual([{ source: 'node/n1', lines: 5, last: expect.stringMatching(/^[0-9a-f]{64}$/) as unknown }]);
  });

  it('verifies two chains interleaved (two processes collected into one file)', () => {
    const a = file();
    const b = file();
    expect(verifyAudit(text(a.flatMap((l, i) => [l, b[i]!]))).chains.size).toBe(2);
  });

  it('names an edited line', () => {
    const lines = file();
    lines[4] = lines[4]!.replace('"status":401', '"status":200');
    expect(failure(text(lines))).toMatchObject({ line: 5, message: expect.stringMatching(/line 5: its content does not hash to its hash .*edited/) as unknown });
  });

  it('names the line after a removed one', () => {
    const lines = file();
    lines.splice(3, 1);
    expect(failure(text(lines))).toMatchObject({ line: 4, message: expect.stringMatching(/expected seq 2 .* got seq 3: seq 2\.\.2 missing here/) as unknown });
  });

  it('names a reordered line', () => {
    const lines = file();
    [lines[3], lines[4]] = [lines[4]!, lines[3]!];
    expect(failure(text(lines)).line).toBe(4);
  });

  it('names a removed anchor', () => {
    expect(failure(text(file().slice(1))).message).toMatch(/line 1: chain \w+ starts at seq 1, expected its anchor/);
  });

  it('names a line cut short at the end of the file (truncated), and one cut in the middle', () => {
    const whole = text(file());
    expect(failure(whole.slice(0, whole.length - 40)).message).toMatch(/line 6: an audit line cut short .*truncated/);
    const lines = file();
    lines[1] = lines[1]!.slice(0, 50);
    expect(failure(text(lines)).line).toBe(2);
  });

  it('cannot tell lines cut off the end at a line boundary: the summary gives the last hash to compare with the collector', () => {
    const lines = file();
    const s = verifyAudit(text(lines.slice(0, -1)));
    expect([...s.chains.values()][0]?.lines).toBe(4);
  });
});
