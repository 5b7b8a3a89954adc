/**
 * Test PKI for the kube-apiserver: a CA, a serving certificate for 127.0.0.1, and the
 * service-account signing key pair. Certificates come from the openssl CLI (Node's crypto cannot
 * issue X.509); keys are P-256 like the ones a real cluster bootstrapper would make.
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toolPath } from '../tools/paths.ts';

export interface KubePki {
  readonly caFile: string;
  readonly caKeyFile: string;
  readonly serverCertFile: string;
  readonly serverKeyFile: string;
  readonly saPublicKeyFile: string;
  readonly saPrivateKeyFile: string;
}

function openssl(args: readonly string[], cwd: string): void {
  execFileSync(toolPath('openssl'), args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Writes the PKI into `dir`; `serviceIp` is the first address of the service CIDR (the `kubernetes` Service). */
export function makeKubePki(dir: string, serviceIp: string): KubePki {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(
    ['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '3650', '-subj', '/CN=flotilla-test-ca',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
    dir,
  );
  openssl(['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=kube-apiserver'], dir);
  writeFileSync(
    join(dir, 'server.ext'),
    [
      `subjectAltName=IP:127.0.0.1,IP:${serviceIp},DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc`,
      'extendedKeyUsage=serverAuth',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'basicConstraints=critical,CA:FALSE',
      '',
    ].join('\n'),
  );
  openssl(
    ['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt',
      '-days', '3650', '-extfile', 'server.ext'],
    dir,
  );
  const sa = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  writeFileSync(join(dir, 'sa.pub'), sa.publicKey.export({ type: 'spki', format: 'pem' }));
  writeFileSync(join(dir, 'sa.key'), sa.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  return {
    caFile: join(dir, 'ca.crt'),
    caKeyFile: join(dir, 'ca.key'),
    serverCertFile: join(dir, 'server.crt'),
    serverKeyFile: join(dir, 'server.key'),
    saPublicKeyFile: join(dir, 'sa.pub'),
    saPrivateKeyFile: join(dir, 'sa.key'),
  };
}

/** A client certificate and its key, as files. */
export interface ClientCert {
  readonly certFile: string;
  readonly keyFile: string;
}

/**
 * Issues a client certificate signed by the PKI's CA into `dir` as `<file>.crt`/`<file>.key`: the
 * apiserver reads the user from the CN and the groups from the O fields (a kubelet is
 * `system:node:<name>` in `system:nodes`).
 */
export function issueClientCert(pki: Pick<KubePki, 'caFile' | 'caKeyFile'>, dir: string, file: string, user: string, groups: readonly string[]): ClientCert {
  const subject = `${groups.map((g) => `/O=${g}`).join('')}/CN=${user}`;
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${file}.key`, '-out', `${file}.csr`, '-subj', subject], dir);
  writeFileSync(join(dir, `${file}.ext`), ['extendedKeyUsage=clientAuth', 'keyUsage=critical,digitalSignature', 'basicConstraints=critical,CA:FALSE', ''].join('\n'));
  // A random serial, not -CAcreateserial: nodes issue their certificates concurrently and would race on the CA's serial file.
  const serial = `0x${randomBytes(16).toString('hex')}`;
  openssl(['x509', '-req', '-in', `${file}.csr`, '-CA', pki.caFile, '-CAkey', pki.caKeyFile, '-set_serial', serial, '-out', `${file}.crt`, '-days', '3650', '-extfile', `${file}.ext`], dir);
  return { certFile: join(dir, `${file}.crt`), keyFile: join(dir, `${file}.key`) };
}
