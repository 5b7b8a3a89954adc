import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { KeyError } from '../errors.ts';
import { decryptEnvelope, encryptEnvelope } from './encrypted-key.ts';

/** PEM block types cosign writes; it reads both. */
export const SIGSTORE_PRIVATE_PEM = 'ENCRYPTED SIGSTORE PRIVATE KEY';
export const COSIGN_PRIVATE_PEM = 'ENCRYPTED COSIGN PRIVATE KEY';

/** A cosign key pair as files: the encrypted private key PEM and the SPKI public key PEM. */
export interface CosignKeyFiles {
  readonly privateKeyPem: string;
  readonly publicKeyPem: string;
}

function pemBlocks(pem: string): { type: string; der: Buffer }[] {
  const out: { type: string; der: Buffer }[] = [];
  const re = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
  for (let m = re.exec(pem); m !== null; m = re.exec(pem)) {
    out.push({ type: m[1] ?? '', der: Buffer.from((m[2] ?? '').replace(/\s+/g, ''), 'base64') });
  }
  return out;
}

function pemEncode(type: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${type}-----\n${b64}\n-----END ${type}-----\n`;
}

function requireP256(key: KeyObject, what: string): KeyObject {
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    const got = key.asymmetricKeyType === 'ec' ? `EC ${key.asymmetricKeyDetails?.namedCurve}` : key.asymmetricKeyType;
    throw new KeyError('UnsupportedKey', `${what}: expected an ECDSA P-256 key, got ${got}`);
  }
  return key;
}

/**
 * Loads a signing key: cosign's encrypted PEM (`ENCRYPTED SIGSTORE|COSIGN PRIVATE KEY`, opened with
 * `password`) or an unencrypted PKCS#8 / SEC1 PEM. Only ECDSA P-256, the key type cosign generates.
 */
export async function loadPrivateKey(pem: string, password: string | undefined, what = 'private key'): Promise<KeyObject> {
  const [block] = pemBlocks(pem);
  if (block === undefined) throw new KeyError('InvalidKey', `${what}: expected a PEM block, got none`);
  if (block.type === SIGSTORE_PRIVATE_PEM || block.type === COSIGN_PRIVATE_PEM) {
    const pkcs8 = await decryptEnvelope(block.der, Buffer.from(password ?? '', 'utf8'));
    return requireP256(parseDer(() => createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' }), what), what);
  }
  if (block.type === 'PRIVATE KEY' || block.type === 'EC PRIVATE KEY') return requireP256(parseDer(() => createPrivateKey(pem), what), what);
  throw new KeyError('UnsupportedKey', `${what}: expected PEM type ${SIGSTORE_PRIVATE_PEM}, ${COSIGN_PRIVATE_PEM}, PRIVATE KEY or EC PRIVATE KEY, got ${block.type}`);
}

/** Loads a PEM public key (SPKI `PUBLIC KEY`, as `cosign generate-key-pair` writes cosign.pub). */
export function loadPublicKey(pem: string, what = 'public key'): KeyObject {
  const [block] = pemBlocks(pem);
  if (block?.type !== 'PUBLIC KEY') throw new KeyError('InvalidKey', `${what}: expected a PEM 'PUBLIC KEY' block, got ${block?.type ?? 'none'}`);
  return requireP256(parseDer(() => createPublicKey(pem), what), what);
}

function parseDer(parse: () => KeyObject, what: string): KeyObject {
  try {
    return parse();
  } catch (cause) {
    throw new KeyError('InvalidKey', `${what}: expected a parseable key, got ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** The SPKI PEM of a key (public, or the public half of a private key). */
export function publicKeyPem(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return pemEncode('PUBLIC KEY', pub.export({ format: 'der', type: 'spki' }));
}

/** Encrypts a private key into cosign's file format (what `cosign generate-key-pair` writes). */
export async function encodeCosignPrivateKey(key: KeyObject, password: string): Promise<string> {
  const pkcs8 = key.export({ format: 'der', type: 'pkcs8' });
  return pemEncode(SIGSTORE_PRIVATE_PEM, await encryptEnvelope(pkcs8, Buffer.from(password, 'utf8')));
}

/** A fresh P-256 key pair in cosign's file formats. */
export async function generateCosignKeyPair(password: string): Promise<CosignKeyFiles> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { privateKeyPem: await encodeCosignPrivateKey(privateKey, password), publicKeyPem: publicKeyPem(privateKey) };
}
