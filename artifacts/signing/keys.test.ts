import { createPrivateKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { KeyError } from '../errors.ts';
import { decryptEnvelope, encryptEnvelope } from './encrypted-key.ts';
import { COSIGN_PRIVATE_PEM, encodeCosignPrivateKey, generateCosignKeyPair, loadPrivateKey, loadPublicKey, publicKeyPem, SIGSTORE_PRIVATE_PEM } from './keys.ts';

// Test vectors of secure-systems-lab/go-securesystemslib encrypted (the library cosign uses): the
// plaintext there is JSON-marshalled, hence the quoted base64 of "reallyimportant".
const VECTORS = [
  '{"kdf":{"name":"scrypt","params":{"N":32768,"r":8,"p":1},"salt":"WO3mVvyTwJ9vwT5/Tk5OW5WPIBUofMjcpEfrLnfY4uA="},"cipher":{"name":"nacl/secretbox","nonce":"tCy7HcTFr4uxv4Nrg/DWmncuZ148U1MX"},"ciphertext":"08n43p5G5yviPEZpO7tPPF4aZQkWiWjkv4taFdhDBA0tamKH4nw="}',
  '{"kdf":{"name":"scrypt","params":{"N":65536,"r":8,"p":1},"salt":"FhzPOt9/bJG4PTq6lQ6ecG6GzaOuOy/ynG5+yRiFlNs="},"cipher":{"name":"nacl/secretbox","nonce":"aw1ng1jHaDz/tQ7V2gR9O2+IGQ8xJEuE"},"ciphertext":"HycvuLZL4sYH0BrYTh4E/H20VtAW6u5zL5Pr+IBjYLYnCPzDkq8="}',
];
const RAW_VECTOR = '{"kdf":{"name":"scrypt","params":{"N":32768,"r":8,"p":1},"salt":"N9a7x5JFGbrtB2uBR81jPwp0eiLR4A7FV3mjVAQrg1g="},"cipher":{"name":"nacl/secretbox","nonce":"2h8HxMmgRfuYdpswZBQaU3xJ1nkA/5Ik"},"ciphertext":"SEW6sUh0jf2wfdjJGPNS9+bkk2uB+Cxamf32zR8XkQ=="}';

async function code(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => 'no error',
    (e: unknown) => (e instanceof KeyError ? e.code : String(e)),
  );
}

describe('securesystemslib encrypted envelope', () => {
  it.each(VECTORS)('decrypts the upstream vector %#', async (v) => {
    expect(Buffer.from(await decryptEnvelope(Buffer.from(v), Buffer.from('supersecret'))).toString()).toBe(`"${Buffer.from('reallyimportant').toString('base64')}"`);
  });

  it('decrypts the raw upstream vector (what cosign keys use)', async () => {
    expect(Buffer.from(await decryptEnvelope(Buffer.from(RAW_VECTOR), Buffer.from('supersecret'))).toString()).toBe('reallyimportant');
  });

  it('round-trips and refuses a wrong password, a flipped ciphertext bit and unsupported scrypt parameters', async () => {
    const sealed = await encryptEnvelope(Buffer.from('secret bytes'), Buffer.from('pw'));
    expect(Buffer.from(await decryptEnvelope(sealed, Buffer.from('pw'))).toString()).toBe('secret bytes');
    expect(await code(decryptEnvelope(sealed, Buffer.from('nope')))).toBe('WrongPassword');
    const env = JSON.parse(Buffer.from(sealed).toString()) as { ciphertext: string; kdf: { params: { N: number } } };
    const ct = Buffer.from(env.ciphertext, 'base64');
    ct[0] = (ct[0] ?? 0) ^ 1;
    expect(await code(decryptEnvelope(Buffer.from(JSON.stringify({ ...env, ciphertext: ct.toString('base64') })), Buffer.from('pw')))).toBe('WrongPassword');
    env.kdf.params.N = 1024;
    expect(await code(decryptEnvelope(Buffer.from(JSON.stringify(env)), Buffer.from('pw')))).toBe('UnsupportedKey');
    expect(await code(decryptEnvelope(Buffer.from('not json'), Buffer.from('pw')))).toBe('InvalidKey');
  });
});

describe('cosign key files', () => {
  it('generates a pair cosign-style and signs/verifies through the loaded keys', async () => {
    const files = await generateCosignKeyPair('pw');
    expect(files.privateKeyPem).toMatch(new RegExp(`^-----BEGIN ${SIGSTORE_PRIVATE_PEM}-----\\n`));
    expect(files.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    const key = await loadPrivateKey(files.privateKeyPem, 'pw');
    const pub = loadPublicKey(files.publicKeyPem);
    const sig = sign('sha256', Buffer.from('payload'), key);
    expect(verify('sha256', Buffer.from('payload'), pub, sig)).toBe(true);
    expect(publicKeyPem(key)).toBe(files.publicKeyPem);
  });

  it('reads the legacy ENCRYPTED COSIGN PRIVATE KEY block and plain PKCS#8/SEC1 PEMs', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const legacy = (await encodeCosignPrivateKey(privateKey, 'pw')).replaceAll(SIGSTORE_PRIVATE_PEM, COSIGN_PRIVATE_PEM);
    expect(publicKeyPem(await loadPrivateKey(legacy, 'pw'))).toBe(publicKeyPem(privateKey));
    const pkcs8 = String(privateKey.export({ format: 'pem', type: 'pkcs8' }));
    const sec1 = String(privateKey.export({ format: 'pem', type: 'sec1' }));
    expect(publicKeyPem(await loadPrivateKey(pkcs8, undefined))).toBe(publicKeyPem(privateKey));
    expect(publicKeyPem(await loadPrivateKey(sec1, undefined))).toBe(publicKeyPem(createPrivateKey(sec1)));
  });

  it.each([
    ['no PEM', 'hello', 'InvalidKey'],
    ['RSA key', generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs8' }), 'UnsupportedKey'],
    ['P-384 key', generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ format: 'pem', type: 'pkcs8' }), 'UnsupportedKey'],
    ['certificate block', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', 'UnsupportedKey'],
  ])('refuses %s', async (_name, pem, expected) => {
    expect(await code(loadPrivateKey(String(pem), 'pw'))).toBe(expected);
  });

  it('refuses a public key of the wrong type', () => {
    expect(() => loadPublicKey(publicKeyPem(generateKeyPairSync('ed25519').publicKey))).toThrow(/expected an ECDSA P-256 key, got ed25519/);
  });
});
