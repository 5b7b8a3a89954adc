import { writeFileSync } from 'node:fs';
import { nkeys } from '@nats-io/nats-core';
import type { Command } from 'commander';
import { FlotillaError } from '../../api/errors.ts';
import { groupByKind, loadManifestDir, poolPermissions, renderAuthorization } from '../../api/index.ts';
import { natsPoolScopes } from '../../api/nats-pool-scopes.ts';

/**
 * `flotilla nats keygen <seed-file>`: makes a pool's NATS nkey; the seed goes to a file (mode 0600), the public key to stdout.
 * `flotilla nats config <dir> --nats-url u --key ns/runtime=U...`: the nats-server authorization block for a cluster's rendered manifests.
 */
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
  nats
    .command('config <manifest-dir>')
    .description('Print the nats-server authorization block for a cluster\'s rendered manifests (gitops/clusters/<c>): one nkey user per WasmRuntime, allowed only what its functions and triggers use; reload nats-server after a change')
    .requiredOption('--nats-url <url>', 'the cluster\'s NATS as the manifests name it (the WasmRuntimes\' nats.url): triggers on another server get no permissions here')
    .option('--key <pool=nkey>', 'a pool\'s public nkey, <namespace>/<WasmRuntime>=U... (repeatable; every WasmRuntime needs one)', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .action(async (dir: string, flags: { natsUrl: string; key: string[] }) => {
      const nkeys: Record<string, string> = {};
      for (const k of flags.key) {
        const at = k.indexOf('=');
        if (at <= 0) throw new FlotillaError('InvalidArgument', `--key: expected <namespace>/<WasmRuntime>=<public nkey>, got ${JSON.stringify(k)}`);
        nkeys[k.slice(0, at)] = k.slice(at + 1);
      }
      let scopes;
      try {
        scopes = natsPoolScopes(groupByKind(await loadManifestDir(dir)), flags.natsUrl, nkeys);
      } catch (cause) {
        if (cause instanceof FlotillaError) throw cause;
        throw new FlotillaError('InvalidArgument', (cause as Error).message, { cause });
      }
      process.stdout.write(renderAuthorization(scopes.map((s) => ({ nkey: s.nkey, permissions: poolPermissions(s) }))));
    });
}
