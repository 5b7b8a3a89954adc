/**
 * The audit log: hash-chained JSON lines of deploys, verifications, denials and admin actions,
 * written by the operator and every node (to stdout or a file, for collection) and checked by
 * `flotilla audit verify`. Each process run is one chain: its first line is an anchor (seq 0,
 * prev all zeros), and every line carries seq, the previous line's hash and its own, a SHA-256 over
 * the previous hash and the line's canonical JSON without `hash`. So an edited, removed, reordered
 * or cut line breaks the chain at a line number `verifyAudit` names. What a chain cannot show on its
 * own: lines cut off its end, or a whole chain dropped; ship lines off the machine as they come.
 * Lines without the `audit` marker (other logs on the same stdout) are skipped.
 */
import { createHash, randomBytes } from 'node:crypto';
import { FlotillaError } from './errors.ts';

/** The marker and version of every audit line. */
export const AUDIT_MARK = 'flotilla.dev/audit/v1';

export const AUDIT_KINDS = ['anchor', 'deploy', 'verification', 'denial', 'admin'] as const;
export type AuditKind = (typeof AUDIT_KINDS)[number];

/** What one audit line says, beyond the chain fields. Values are strings, numbers or booleans: nothing nested to canonicalise. */
export interface AuditEvent {
  readonly kind: Exclude<AuditKind, 'anchor'>;
  /** CamelCase, e.g. Verified, UntrustedKey, Unauthenticated, ModuleLoaded, DesiredStateApplied. */
  readonly action: string;
  /** What it is about: `WasmFunction ns/name`, `FunctionRoute ns/name`. */
  readonly object: string;
  readonly details?: Readonly<Record<string, string | number | boolean>>;
}

/** One line as written. */
export interface AuditRecord {
  readonly audit: typeof AUDIT_MARK;
  readonly chain: string;
  readonly seq: number;
  readonly time: string;
  /** Who wrote it: `operator/<identity>`, `node/<name>`. */
  readonly source: string;
  readonly kind: AuditKind;
  readonly action: string;
  readonly object: string;
  readonly details: Readonly<Record<string, string | number | boolean>>;
  readonly prev: string;
  readonly hash: string;
}

const ZERO = '0'.repeat(64);

/** The record's fields in one fixed order, `hash` left out: what the hash covers. */
function canonical(r: Omit<AuditRecord, 'hash'>): string {
  const details = Object.fromEntries(Object.entries(r.details).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return JSON.stringify([r.audit, r.chain, r.seq, r.time, r.source, r.kind, r.action, r.object, details, r.prev]);
}

function hashOf(r: Omit<AuditRecord, 'hash'>): string {
  return createHash('sha256').update(r.prev).update('\n').update(canonical(r)).digest('hex');
}

/** Writes one process's chain: `write` gets each line (no newline), the anchor first. */
export class AuditLog {
  private readonly source: string;
  private readonly write: (line: string) => void;
  private readonly now: () => Date;
  private readonly chain = randomBytes(8).toString('hex');
  private seq = 0;
  private prev = ZERO;

  constructor(source: string, write: (line: string) => void, now: () => Date = () => new Date()) {
    this.source = source;
    this.write = write;
    this.now = now;
    this.append('anchor', 'ChainStarted', source, {});
  }

  /** Appends one event to the chain. */
  record(e: AuditEvent): void {
    this.append(e.kind, e.action, e.object, e.details ?? {});
  }

  private append(kind: AuditKind, action: string, object: string, details: Readonly<Record<string, string | number | boolean>>): void {
    const body = { audit: AUDIT_MARK, chain: this.chain, seq: this.seq, time: this.now().toISOString(), source: this.source, kind, action, object, details: { ...details }, prev: this.prev } as const;
    const hash = hashOf(body);
    this.write(JSON.stringify({ ...body, hash }));
    this.prev = hash;
    this.seq++;
  }
}

export type AuditErrorCode = 'AuditTampered';

/** The audit file does not verify; `line` is the first line that breaks a chain (1-based). */
export class AuditError extends FlotillaError<AuditErrorCode> {
  readonly line: number;
  constructor(line: number, message: string) {
    super('AuditTampered', `line ${line}: ${message}`);
    this.line = line;
  }
}

/** What a verified file held. */
export interface AuditSummary {
  /** Chains (process runs) found, by chain id: source, lines, last hash (compare it with what the collector last received). */
  readonly chains: ReadonlyMap<string, { readonly source: string; readonly lines: number; readonly last: string }>;
  /** Lines that were not audit lines (other logs), skipped. */
  readonly skipped: number;
}

function parseRecord(text: string): AuditRecord | 'not-audit' | 'broken' {
  if (!text.includes(AUDIT_MARK)) return 'not-audit';
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return 'broken';
  }
  const r = v as Partial<AuditRecord> | null;
  if (r === null || typeof r !== 'object' || r.audit !== AUDIT_MARK) return 'broken';
  const strings = [r.chain, r.time, r.source, r.kind, r.action, r.object, r.prev, r.hash];
  if (strings.some((s) => typeof s !== 'string') || !Number.isSafeInteger(r.seq) || typeof r.details !== 'object' || r.details === null || !(AUDIT_KINDS as readonly unknown[]).includes(r.kind)) return 'broken';
  return r as AuditRecord;
}

/** Verifies every chain in `text` (a file of lines); throws AuditError naming the first line that breaks one. */
export function verifyAudit(text: string): AuditSummary {
  const chains = new Map<string, { source: string; lines: number; last: string; seq: number }>();
  let skipped = 0;
  const lines = text.split('\n');
  // A file ends with a newline: the last element is empty unless the last line was cut.
  const last = lines.length - 1;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const n = i + 1;
    if (line === '' && i === last) break;
    const r = parseRecord(line);
    if (r === 'not-audit') {
      skipped++;
      continue;
    }
    if (r === 'broken') throw new AuditError(n, i === last ? 'an audit line cut short (no newline, not whole JSON): the file was truncated' : 'an audit line that is not a whole record: it was edited or cut');
    const { hash, ...body } = r;
    if (hashOf(body) !== hash) throw new AuditError(n, `its content does not hash to its hash (chain ${r.chain}, seq ${r.seq}): the line was edited`);
    const chain = chains.get(r.chain);
    if (!chain) {
      if (r.seq !== 0 || r.kind !== 'anchor' || r.prev !== ZERO) throw new AuditError(n, `chain ${r.chain} starts at seq ${r.seq}, expected its anchor (seq 0): line(s) before it were removed or moved`);
      chains.set(r.chain, { source: r.source, lines: 1, last: hash, seq: 0 });
      continue;
    }
    if (r.seq !== chain.seq + 1 || r.prev !== chain.last) {
      const what = r.seq <= chain.seq ? 'a line repeated, or moved here from later' : `seq ${chain.seq + 1}..${r.seq - 1} missing here: removed, or moved elsewhere`;
      throw new AuditError(n, `expected seq ${chain.seq + 1} of chain ${r.chain} after the hash of seq ${chain.seq}, got seq ${r.seq}: ${what}`);
    }
    chain.seq = r.seq;
    chain.last = hash;
    chain.lines++;
  }
  return { chains: new Map([...chains].map(([id, c]) => [id, { source: c.source, lines: c.lines, last: c.last }])), skipped };
}
