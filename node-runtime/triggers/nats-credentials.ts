/**
 * The node's NATS identity: an nkey user seed read from `--nats-creds` (a mounted Secret in cluster
 * mode, a file in standalone mode), and the connection options that authenticate with it. The seed
 * never leaves this object: it is not enumerable, and logging the object prints the public key only.
 */
import { readFileSync } from 'node:fs';
import { nkeyAuthenticator, nkeys, type ConnectionOptions } from '@nats-io/nats-core';
import { inboxPrefix } from '../../api/nats-permissions.ts';
import { NodeRuntimeError } from '../errors.ts';

/** An nkey user seed: "SU" and 56 more base32 characters (58 in all). */
const USER_SEED = /^SU[A-Z2-7]{56}$/;

/** A pool's NATS credentials: the public key is safe to show, the seed is not. */
export class NatsCredentials {
  /** The public nkey (U...): the user the server config names. */
  readonly publicKey: string;
  readonly #seed: Uint8Array;

  private constructor(seed: Uint8Array, publicKey: string) {
    this.#seed = seed;
    this.publicKey = publicKey;
  }

  /**
   * Parses the text of a credentials file (`what` names it in errors, e.g. "--nats-creds /x").
   * Blank lines and `#` comments are ignored; what remains must be one nkey user seed.
   */
  static parse(text: string, what: string): NatsCredentials {
    const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
    const fix = 'write the seed `flotilla nats keygen` made (one line, SU...) into the file';
    if (lines.length !== 1) throw new NodeRuntimeError('InvalidArgument', `${what}: expected one nkey user seed, got ${lines.length} non-comment lines; ${fix}`);
    const line = lines[0]!;
    // Never echo the line: it may be a seed of another kind, or a secret pasted by mistake.
    if (!USER_SEED.test(line)) {
      const kind = line.startsWith('S') && line.length === 58 ? `a seed of kind ${JSON.stringify(line.slice(0, 2))}, not a user seed (SU)` : `${line.length} characters that are no nkey seed`;
      throw new NodeRuntimeError('InvalidArgument', `${what}: expected an nkey user seed (SU and 56 base32 characters), got ${kind}; ${fix}`);
    }
    const seed = new TextEncoder().encode(line);
    let publicKey: string;
    try {
      publicKey = nkeys.fromSeed(seed).getPublicKey();
    } catch (err) {
      throw new NodeRuntimeError('InvalidArgument', `${what}: expected a valid nkey user seed, got one whose checksum does not match (${(err as Error).message}); ${fix}`);
    }
    return new NatsCredentials(seed, publicKey);
  }

  /** Reads and parses `file`; `flag` names where it came from in errors. */
  static read(file: string, flag: string): NatsCredentials {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new NodeRuntimeError('InvalidArgument', `${flag} ${file}: expected a readable file holding the pool's nkey user seed, got ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; mount the pool's Secret there or fix the path`, { cause: err });
    }
    return NatsCredentials.parse(text, `${flag} ${file}`);
  }

  /** What the node's connections add to their options: nkey auth and inboxes under the pool's prefix. */
  connectOptions(): Pick<ConnectionOptions, 'authenticator' | 'inboxPrefix'> {
    return { authenticator: nkeyAuthenticator(this.#seed), inboxPrefix: inboxPrefix(this.publicKey) };
  }

  toJSON(): { publicKey: string } {
    return { publicKey: this.publicKey };
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `NatsCredentials(${this.publicKey})`;
  }
}

/** Options for a connection to the cluster's NATS as this node. */
export function natsConnectOptions(url: string, nodeName: string, credentials: NatsCredentials | undefined): ConnectionOptions {
  return { servers: url, name: `flotilla-node-${nodeName}`, ...(credentials ? credentials.connectOptions() : {}) };
}
