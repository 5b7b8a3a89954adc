import { writeFileSync } from 'node:fs';
import { nkeys } from '@nats-io/nats-core';
import type { Command } from 'commander';
import { FlotillaError } from '../../api/errors.ts';

/** `flotilla nats keygen <seed-file>`: makes a pool's NATS nkey; the seed goes to a file (mode 0600), the public key to stdout. */
export function register(program: Command): void {
  const nats = program.command('nats').description('The cluster NATS: credentials of node pools');
  nats
    .command('keygen <seed-file>')
    .description('Make a node pool\'s NATS nkey: writes its user seed to <seed-file> (mode 0600, refused if it exists; put it in the pool\'s Secret, never in Git) and prints its public key (for EdgeCluster natsAuth, which may be in Git)')
    .action((file: string) => {
      const pair = nkeys.createUser();
      const seed = new TextDecoder().decode(pair.getSeed());
      try {
        // "wx": never overwrite a seed a pool may already use.
        writeFileSync(file, `${seed}\n`, { mode: 0o600, flag: 'wx' });
      } catch (cause) {
        throw new FlotillaError('InvalidArgument', `nats keygen ${file}: expected a path where no file is, got ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}; choose a new file`, { cause });
      }
      process.stdout.write(`${pair.getPublicKey()}\n`);
    });
}
