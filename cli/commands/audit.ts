import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { FlotillaError } from '../../api/errors.ts';
import { verifyAudit } from '../../api/index.ts';

/** `flotilla audit verify <file>`: checks the hash chains of a collected audit log (api/audit.ts); exits AuditTampered (95) naming the first broken line. */
export function register(program: Command): void {
  const audit = program.command('audit').description('The tamper-evident audit log the operator and nodes write');
  audit
    .command('verify <file>')
    .description('Verify the hash chains of an audit log: an edited, removed, reordered or cut line fails, naming its line number (other log lines are skipped)')
    .action(async (file: string) => {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (cause) {
        throw new FlotillaError('InvalidArgument', `cannot read audit log ${file}: ${(cause as Error).message}`, { cause });
      }
      const summary = verifyAudit(text);
      for (const [id, c] of summary.chains) process.stdout.write(`chain ${id} (${c.source}): ${c.lines} lines verified, last hash ${c.last}\n`);
      process.stdout.write(`${file}: ${summary.chains.size} chain(s) verified, ${summary.skipped} other line(s) skipped\n`);
    });
}
