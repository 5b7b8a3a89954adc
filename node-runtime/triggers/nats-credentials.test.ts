import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { nkeys } from '@nats-io/nats-core';
import { describe, expect, it } from 'vitest';
import { NatsCredentials, natsConnectOptions } from './nats-credentials.ts';

const pair = nkeys.createUser();
const seed = new TextDecoder().decode(pair.getSeed());

describe('NatsCredentials', () => {
  it('reads a user seed, comments and blank lines ignored, and knows its public key', () => {
    const c = NatsCredentials.parse(`# pool edge\n\n${seed}\n`, '--nats-creds f');
    expect(c.publicKey).toBe(pair.getPublicKey());
    expect(natsConnectOptions('nats://n:4222', 'n1', c)).toMatchObject({ servers: 'nats://n:4222', name: 'flotilla-node-n1', inboxPrefix: `_INBOX.${pair.getPublicKey()}` });
  });

  it('never shows the seed: not in JSON, inspect or its enumerable fields', () => {
    const c = NatsCredentials.parse(seed, '--nats-creds f');
    for (const shown of [JSON.stringify(c), inspect(c), JSON.stringify({ ...c }), String(Object.values(c))]) expect(shown).not.toContain(seed.slice(2, 20));
    expect(JSON.stringify({ creds: c })).toBe(`{"creds":{"publicKey":"${pair.getPublicKey()}"}}`);
  });

  const account = new TextDecoder().decode(nkeys.createAccount().getSeed());
  // A middle character: the last one carries 2 padding bits, so changing it may leave the bytes as they were.
  const corrupt = `${seed.slice(0, 10)}${seed[10] === 'A' ? 'B' : 'A'}${seed.slice(11)}`;
  it.each([
    ['an empty file', '', /got 0 non-comment lines/],
    ['two seeds', `${seed}\n${seed}`, /got 2 non-comment lines/],
    ['an account seed', account, /got a seed of kind "SA", not a user seed \(SU\)/],
    ['a public key', pair.getPublicKey(), /got 56 characters that are no nkey seed/],
    ['a seed with a bad checksum', corrupt, /checksum does not match/],
  ])('refuses %s, naming the flag and the fix', (_what, text, error) => {
    const e = (() => {
      try {
        NatsCredentials.parse(text, '--nats-creds /etc/x');
      } catch (err) {
        return err as Error & { code: string };
      }
      throw new Error('accepted');
    })();
    expect(e.code).toBe('InvalidArgument');
    expect(e.message).toMatch(/^--nats-creds \/etc\/x: /);
    expect(e.message).toMatch(error);
    expect(e.message).toContain('flotilla nats keygen');
    // The message never echoes what it refused.
    if (text.length > 20) expect(e.message).not.toContain(text.slice(2, 20));
  });

  it('refuses a missing file, naming the flag, the path and the fix', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'creds-')), 'none');
    expect(() => NatsCredentials.read(file, '--nats-creds')).toThrow(new RegExp(`--nats-creds ${file}: expected a readable file .*ENOENT; mount the pool's Secret there or fix the path`));
  });

  it('reads a file', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'creds-')), 'seed');
    writeFileSync(file, `${seed}\n`);
    expect(NatsCredentials.read(file, '--nats-creds').publicKey).toBe(pair.getPublicKey());
  });
});
