/** Where `flotilla node` and `flotilla operator` write their audit lines: stdout for collection, or appended to --audit-file. */
import { createWriteStream } from 'node:fs';
import { AuditLog } from '../api/index.ts';

/** The audit log of this process, `source` naming it (`node/<name>`, `operator/<identity>`). */
export function openAuditLog(source: string, file: string | undefined): AuditLog {
  if (file === undefined) return new AuditLog(source, (line) => process.stdout.write(`${line}\n`));
  // Appended, never truncated: a restart starts a new chain after the old one.
  const out = createWriteStream(file, { flags: 'a' });
  return new AuditLog(source, (line) => out.write(`${line}\n`));
}
