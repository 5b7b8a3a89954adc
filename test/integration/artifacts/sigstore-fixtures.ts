/**
 * A private Sigstore for keyless tests. Fulcio and Rekor cannot run here, so this builds what they
 * would hand out: a test CA (openssl) issuing a short-lived Fulcio-style certificate (SAN identity +
 * OIDC issuer extension 1.3.6.1.4.1.57264.1.8), a transparency-log key signing the entry's inclusion
 * promise (SET), the trusted_root.json naming both, and a v0.1 Sigstore bundle (DSSE in-toto
 * statement, as cosign --new-bundle-format signs) carrying certificate and tlog entry. No CT log:
 * verification runs with ctlogThreshold 0 and says so.
 */
import { createHash, createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { json } from '@sigstore/core';
import { execa } from 'execa';
import { signStatement } from '../../../artifacts/index.ts';
import { toolPath } from '../../../devenv/tools/paths.ts';

export interface TestCa {
  readonly dir: string;
  readonly certPem: string;
  readonly keyFile: string;
  readonly certFile: string;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  const r = await execa(toolPath('openssl'), args, { cwd, reject: false });
  if (r.exitCode !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
}

function der(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

/** A self-signed P-256 CA standing in for Fulcio's root. */
export async function createCa(dir: string, name: string): Promise<TestCa> {
  const keyFile = join(dir, `${name}.key`);
  const certFile = join(dir, `${name}.pem`);
  await openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', keyFile], dir);
  await openssl(
    ['req', '-x509', '-new', '-key', keyFile, '-subj', `/O=flotilla-test/CN=${name}`, '-days', '2', '-out', certFile, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
    dir,
  );
  return { dir, certPem: await readFile(certFile, 'utf8'), keyFile, certFile };
}

/** A Fulcio-style leaf: SAN = subject (email or URI), issuer extension = the OIDC issuer. */
export async function issueLeaf(ca: TestCa, identity: { subject: string; issuer: string }): Promise<{ key: KeyObject; certPem: string }> {
  const tag = createHash('sha256').update(`${identity.subject}|${identity.issuer}|${Math.random()}`).digest('hex').slice(0, 12);
  const keyFile = join(ca.dir, `leaf-${tag}.key`);
  const csr = join(ca.dir, `leaf-${tag}.csr`);
  const ext = join(ca.dir, `leaf-${tag}.cnf`);
  const cert = join(ca.dir, `leaf-${tag}.pem`);
  const san = identity.subject.includes('://') ? `URI:${identity.subject}` : `email:${identity.subject}`;
  await writeFile(ext, [`subjectAltName=critical,${san}`, 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=codeSigning', `1.3.6.1.4.1.57264.1.8=ASN1:UTF8String:${identity.issuer}`, ''].join('\n'));
  await openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', keyFile], ca.dir);
  await openssl(['req', '-new', '-key', keyFile, '-subj', '/O=sigstore.dev', '-out', csr], ca.dir);
  await openssl(['x509', '-req', '-in', csr, '-CA', ca.certFile, '-CAkey', ca.keyFile, '-CAcreateserial', '-days', '1', '-extfile', ext, '-out', cert], ca.dir);
  return { key: createPrivateKey(await readFile(keyFile, 'utf8')), certPem: await readFile(cert, 'utf8') };
}

/** A transparency log: its key signs inclusion promises. */
export function createTlog(): { key: KeyObject; publicDer: Buffer; logId: Buffer } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const publicDer = publicKey.export({ format: 'der', type: 'spki' });
  return { key: privateKey, publicDer, logId: createHash('sha256').update(publicDer).digest() };
}

/** trusted_root.json trusting `ca` as Fulcio and `tlog` as Rekor. */
export function trustedRoot(ca: TestCa, tlog: { publicDer: Buffer; logId: Buffer }): unknown {
  const validFor = { start: '2020-01-01T00:00:00Z' };
  return {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [{ baseUrl: 'https://rekor.invalid', hashAlgorithm: 'SHA2_256', publicKey: { rawBytes: tlog.publicDer.toString('base64'), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor }, logId: { keyId: tlog.logId.toString('base64') } }],
    certificateAuthorities: [{ subject: { organization: 'flotilla-test', commonName: 'fulcio' }, uri: 'https://fulcio.invalid', certChain: { certificates: [{ rawBytes: der(ca.certPem).toString('base64') }] }, validFor }],
    ctlogs: [],
    timestampAuthorities: [],
  };
}

const PAYLOAD_TYPE = 'application/vnd.in-toto+json';

function pae(type: string, payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} ${type} ${payload.length} `), payload]);
}

/** A keyless v0.1 bundle for `digest`: the leaf signs cosign's sign statement, the tlog promises inclusion. */
export function keylessBundle(leaf: { key: KeyObject; certPem: string }, tlog: { key: KeyObject; logId: Buffer }, digest: string): Uint8Array {
  const payload = Buffer.from(signStatement(digest));
  const signature = sign('sha256', pae(PAYLOAD_TYPE, payload), leaf.key);
  const envelope = { payload: payload.toString('base64'), payloadType: PAYLOAD_TYPE, signatures: [{ sig: signature.toString('base64'), keyid: '' }] };
  const body = {
    apiVersion: '0.0.1',
    kind: 'dsse',
    spec: {
      envelopeHash: { algorithm: 'sha256', value: createHash('sha256').update(JSON.stringify(envelope)).digest('hex') },
      payloadHash: { algorithm: 'sha256', value: createHash('sha256').update(payload).digest('hex') },
      signatures: [{ signature: signature.toString('base64'), verifier: Buffer.from(leaf.certPem).toString('base64') }],
    },
  };
  const canonicalBody = Buffer.from(json.canonicalize(body), 'utf8');
  // openssl starts the leaf's validity at "now"; the log must integrate the entry inside that window.
  const integratedTime = Math.floor(Date.now() / 1000) + 60;
  const logIndex = 7;
  const set = sign('sha256', Buffer.from(json.canonicalize({ body: canonicalBody.toString('base64'), integratedTime, logIndex, logID: tlog.logId.toString('hex') }), 'utf8'), tlog.key);
  const bundle = {
    mediaType: 'application/vnd.dev.sigstore.bundle+json;version=0.1',
    verificationMaterial: {
      x509CertificateChain: { certificates: [{ rawBytes: der(leaf.certPem).toString('base64') }] },
      tlogEntries: [
        {
          logIndex: String(logIndex),
          logId: { keyId: tlog.logId.toString('base64') },
          kindVersion: { kind: 'dsse', version: '0.0.1' },
          integratedTime: String(integratedTime),
          inclusionPromise: { signedEntryTimestamp: set.toString('base64') },
          canonicalizedBody: canonicalBody.toString('base64'),
        },
      ],
      timestampVerificationData: { rfc3161Timestamps: [] },
    },
    dsseEnvelope: envelope,
  };
  return Buffer.from(JSON.stringify(bundle));
}
