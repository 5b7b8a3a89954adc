import { randomBytes, scrypt as scryptCb } from 'node:crypto';
import { promisify } from 'node:util';
import { xsalsa20poly1305 } from '@noble/ciphers/salsa.js';
import { KeyError } from '../errors.ts';

const scrypt = promisify(scryptCb) as (password: Uint8Array, salt: Uint8Array, keylen: number, options: { N: number; r: number; p: number; maxmem: number }) => Promise<Buffer>;

/**
 * secure-systems-lab/go-securesystemslib `encrypted`: the JSON envelope cosign puts inside its
 * `ENCRYPTED SIGSTORE PRIVATE KEY` PEM block. scrypt derives a 32-byte key; nacl secretbox
 * (XSalsa20-Poly1305) seals the PKCS#8 private key.
 */
interface Envelope {
  kdf: { name: 'scrypt'; params: { N: number; r: number; p: number }; salt: string };
  cipher: { name: 'nacl/secretbox'; nonce: string };
  ciphertext: string;
}

/** The only scrypt strengths securesystemslib accepts (Legacy, Standard, OWASP): anything else is refused as it refuses it. */
const ALLOWED = new Set(['32768/8/1', '65536/8/1', '131072/8/1']);
/** cosign writes the Standard strength. */
const WRITE_PARAMS = { N: 65536, r: 8, p: 1 };

async function deriveKey(password: Uint8Array, salt: Uint8Array, params: { N: number; r: number; p: number }): Promise<Buffer> {
  return scrypt(password, salt, 32, { ...params, maxmem: 256 * params.N * params.r + (1 << 20) });
}

/** Seals `plaintext` under `password` in the securesystemslib envelope (JSON bytes). */
export async function encryptEnvelope(plaintext: Uint8Array, password: Uint8Array): Promise<Uint8Array> {
  const salt = randomBytes(32);
  const nonce = randomBytes(24);
  const key = await deriveKey(password, salt, WRITE_PARAMS);
  const ciphertext = xsalsa20poly1305(key, nonce).encrypt(plaintext);
  const envelope: Envelope = {
    kdf: { name: 'scrypt', params: WRITE_PARAMS, salt: salt.toString('base64') },
    cipher: { name: 'nacl/secretbox', nonce: nonce.toString('base64') },
    ciphertext: Buffer.from(ciphertext).toString('base64'),
  };
  return Buffer.from(JSON.stringify(envelope));
}

/** Opens a securesystemslib envelope; WrongPassword when the secretbox does not authenticate. */
export async function decryptEnvelope(envelopeBytes: Uint8Array, password: Uint8Array): Promise<Uint8Array> {
  let env: Envelope;
  try {
    env = JSON.parse(Buffer.from(envelopeBytes).toString('utf8')) as Envelope;
  } catch (cause) {
    throw new KeyError('InvalidKey', 'encrypted private key: expected a JSON scrypt/secretbox envelope, got unparseable bytes', { cause });
  }
  if (env.kdf?.name !== 'scrypt' || env.cipher?.name !== 'nacl/secretbox' || typeof env.ciphertext !== 'string') {
    throw new KeyError('UnsupportedKey', `encrypted private key: expected kdf scrypt and cipher nacl/secretbox, got ${String(env.kdf?.name)} and ${String(env.cipher?.name)}`);
  }
  const { N, r, p } = env.kdf.params ?? {};
  if (!ALLOWED.has(`${N}/${r}/${p}`)) {
    throw new KeyError('UnsupportedKey', `encrypted private key: expected scrypt parameters N/r/p of 32768/8/1, 65536/8/1 or 131072/8/1, got ${N}/${r}/${p}`);
  }
  const salt = Buffer.from(env.kdf.salt, 'base64');
  const nonce = Buffer.from(env.cipher.nonce, 'base64');
  if (nonce.byteLength !== 24) throw new KeyError('InvalidKey', `encrypted private key: expected a 24-byte nonce, got ${nonce.byteLength}`);
  const key = await deriveKey(password, salt, { N, r, p });
  try {
    return xsalsa20poly1305(key, nonce).decrypt(Buffer.from(env.ciphertext, 'base64'));
  } catch (cause) {
    throw new KeyError('WrongPassword', 'encrypted private key: expected the password to open the key, got an authentication failure; check COSIGN_PASSWORD', { cause });
  }
}
