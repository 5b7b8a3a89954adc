import { existsSync } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Command } from 'commander';
import { FlotillaError } from '../../api/errors.ts';
import { generateCosignKeyPair } from '../../artifacts/index.ts';
import { progress } from './artifact-common.ts';
import { outputOption, writeOutput } from '../output.ts';

interface KeygenFlags {
  outputKeyPrefix: string;
  force?: boolean;
  output: 'table' | 'json' | 'yaml';
}

/** The refusal for a key file that is already there (a lost signing key cannot be recovered). */
function alreadyExists(path: string): FlotillaError<'InvalidArgument'> {
  return new FlotillaError('InvalidArgument', `${path}: already exists; keygen never replaces a key: move it away, choose --output-key-prefix, or pass --force`);
}

/** Writes `content` to `path`, refusing to replace a file unless `force`. */
async function writeNew(path: string, content: string, mode: number, force: boolean): Promise<void> {
  let file;
  try {
    file = await open(path, force ? 'w' : 'wx', mode);
  } catch (err) {
    if ((err as { code?: string }).code === 'EEXIST') throw alreadyExists(path);
    throw err;
  }
  try {
    await file.writeFile(content);
  } finally {
    await file.close();
  }
}

/** `flotilla keygen`: a P-256 key pair in cosign's formats, so signing needs no cosign install. */
export function register(program: Command): void {
  program
    .command('keygen')
    .description('Generate a signing key pair in cosign\'s formats: <prefix>.key (encrypted with $COSIGN_PASSWORD, mode 0600) and <prefix>.pub (what a trust policy lists)')
    .option('--output-key-prefix <prefix>', 'file name prefix of the two files', 'cosign')
    .option('--force', 'replace existing files')
    .addOption(outputOption(['table', 'json', 'yaml'], 'the file names and the public key'))
    .action(async (flags: KeygenFlags) => {
      const password = process.env['COSIGN_PASSWORD'];
      if (password === undefined) throw new FlotillaError('InvalidArgument', '$COSIGN_PASSWORD: expected the password that encrypts the private key (it may be empty: COSIGN_PASSWORD=), got it unset');
      if (flags.outputKeyPrefix === '') throw new FlotillaError('InvalidArgument', '--output-key-prefix: expected a file name prefix, got ""');
      const pair = await generateCosignKeyPair(password);
      const keyFile = `${flags.outputKeyPrefix}.key`;
      const pubFile = `${flags.outputKeyPrefix}.pub`;
      // Both names checked first, so a taken .pub never leaves a new .key beside it.
      if (flags.force !== true) for (const f of [keyFile, pubFile]) if (existsSync(f)) throw alreadyExists(f);
      await writeNew(keyFile, pair.privateKeyPem, 0o600, flags.force === true);
      await writeNew(pubFile, pair.publicKeyPem, 0o644, flags.force === true);
      if (password === '') progress('warning: the private key is encrypted with an empty password');
      writeOutput(flags.output, { privateKey: keyFile, publicKey: pubFile, publicKeyPem: pair.publicKeyPem }, () => `private key written to ${keyFile}\npublic key written to ${pubFile}`);
    });
}
