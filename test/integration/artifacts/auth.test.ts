/**
 * Registry authentication against the REAL registry (docker distribution 2.8) configured two ways:
 * htpasswd Basic auth, and token auth delegating to token-service.ts. Credentials come from a docker
 * config.json, as `docker login` / `oras login` write it. Also: cross-repository mount and tag listing.
 */
import { createPrivateKey } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { buildWasmArtifact, copyManifest, dockerConfigCredentials, OciError, openLayout, openStore, parseReference, pullWasm, pushWasmArtifact } from '../../../artifacts/index.ts';
import type { RegistryRepository } from '../../../artifacts/index.ts';
import { harness, uniqueName } from '../../harness/index.ts';
import { freePort, httpReady, startServer } from '../../../devenv/servers/process.ts';
import type { RunningServer } from '../../../devenv/servers/process.ts';
import { htpasswdLine } from '../../../devenv/servers/registry.ts';
import { toolPath } from '../../../devenv/tools/paths.ts';
import { pushedArtifact, tempDir, uniqueModule } from './helpers.ts';
import { startTokenService } from './token-service.ts';
import type { TokenService } from './token-service.ts';

const USER = 'ci';
const PASSWORD = 'correct horse';

async function startAuthRegistry(dir: string, auth: unknown): Promise<RunningServer & { host: string }> {
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  mkdirSync(join(dir, 'data'), { recursive: true });
  const config = join(dir, 'config.yml');
  writeFileSync(config, stringify({ version: 0.1, log: { level: 'warn' }, storage: { filesystem: { rootdirectory: join(dir, 'data') } }, http: { addr: host }, auth }));
  const server = await startServer({ name: 'registry-auth', command: toolPath('registry'), args: ['serve', config], logFile: join(dir, 'registry.log'), ready: () => httpReady(`http://${host}/v2/`, 401) });
  return { ...server, host };
}

function dockerConfig(dir: string, host: string, user: string, password: string): string {
  const cfg = join(dir, `docker-${uniqueName('cfg')}`);
  mkdirSync(cfg);
  writeFileSync(join(cfg, 'config.json'), JSON.stringify({ auths: { [host]: { auth: Buffer.from(`${user}:${password}`).toString('base64') } } }));
  return cfg;
}

async function code(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => 'ok',
    (e: unknown) => {
      if (e instanceof OciError) return e.code;
      throw e;
    },
  );
}

const artifact = () => buildWasmArtifact({ wasm: uniqueModule(), created: new Date(0) });

describe('Basic auth (htpasswd)', () => {
  let registry: RunningServer & { host: string };
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir('flotilla-basic-');
    writeFileSync(join(dir, 'htpasswd'), await htpasswdLine(USER, PASSWORD));
    registry = await startAuthRegistry(dir, { htpasswd: { realm: 'flotilla-test', path: join(dir, 'htpasswd') } });
  });
  afterAll(async () => registry.stop());

  it('pushes and reads with docker config.json credentials; anonymous and wrong password are Unauthorized', async () => {
    const ref = parseReference(`${registry.host}/fn/${uniqueName('basic')}`);
    const store = await openStore(ref, { credentials: dockerConfigCredentials(dockerConfig(dir, registry.host, USER, PASSWORD)) });
    const a = artifact();
    expect(await pushWasmArtifact(store, a, { tag: 'v1' })).toBe(a.manifestDigest);
    expect(await store.listTags()).toEqual(['v1']);
    expect(await code(openStore(ref).then((s) => s.getManifest('v1')))).toBe('Unauthorized');
    const wrong = await openStore(ref, { credentials: dockerConfigCredentials(dockerConfig(dir, registry.host, USER, 'nope')) });
    expect(await code(wrong.getManifest('v1'))).toBe('Unauthorized');
  });
});

describe('token auth (Bearer)', () => {
  let registry: RunningServer & { host: string };
  let tokens: TokenService;
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir('flotilla-token-');
    await execa(toolPath('openssl'), ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'token.key'], { cwd: dir });
    await execa(toolPath('openssl'), ['req', '-x509', '-new', '-key', 'token.key', '-subj', '/CN=flotilla-token', '-days', '1', '-out', 'token.pem'], { cwd: dir });
    const certPem = await readFile(join(dir, 'token.pem'), 'utf8');
    tokens = await startTokenService({
      service: 'flotilla-registry',
      issuer: 'flotilla-token',
      key: createPrivateKey(await readFile(join(dir, 'token.key'), 'utf8')),
      certDer: Buffer.from(certPem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64'),
      user: USER,
      password: PASSWORD,
      anonymousPull: true,
    });
    registry = await startAuthRegistry(dir, { token: { realm: tokens.realm, service: 'flotilla-registry', issuer: 'flotilla-token', rootcertbundle: join(dir, 'token.pem') } });
  });
  afterAll(async () => {
    await registry.stop();
    await tokens.close();
  });

  it('answers the Bearer challenge with scoped tokens: push with credentials, anonymous pull, anonymous push Denied/Unauthorized', async () => {
    const ref = parseReference(`${registry.host}/fn/${uniqueName('bearer')}`);
    const creds = dockerConfigCredentials(dockerConfig(dir, registry.host, USER, PASSWORD));
    const store = (await openStore(ref, { credentials: creds })) as RegistryRepository;
    expect(await store.client.ping()).toEqual({ authScheme: 'bearer' });
    const a = artifact();
    await pushWasmArtifact(store, a, { tag: 'v1' });
    expect(tokens.requests.some((r) => r.user === USER && r.scopes.includes(`repository:${ref.kind === 'registry' ? ref.repository : ''}:pull,push`))).toBe(true);

    const anonymous = await openStore(ref);
    expect((await anonymous.getManifest('v1')).digest).toBe(a.manifestDigest);
    expect(['Unauthorized', 'Denied']).toContain(await code(pushWasmArtifact(anonymous, artifact(), { tag: 'v2' })));
    expect(await anonymous.resolve('v2')).toBeUndefined();
  });
});

describe('registry features on distribution 2.8', () => {
  it('mounts a blob across repositories instead of uploading it again', async () => {
    const { store, artifact: a, repo } = await pushedArtifact(harness().registry.host, 'mount-src');
    const source = store.name;
    const target = (await openStore(parseReference(`${repo}-copy`))) as RegistryRepository;
    expect(await target.hasBlob(a.layerDescriptor.digest)).toBe(false);
    await target.putBlob(a.layerDescriptor, { bytes: Buffer.alloc(0) }, source);
    // Proof of a mount: an empty body was given as the upload source, yet the blob is there and whole.
    expect(await target.getBlob(a.layerDescriptor)).toEqual(Buffer.from(a.layerBytes));
  });

  for (const chunkBytes of [undefined, 1 << 20]) {
    it(`copies a 6 MiB module layout -> registry -> layout, streamed from disk (${chunkBytes === undefined ? 'monolithic' : 'chunked'} upload)`, async () => {
      const dir = await tempDir();
      const a = buildWasmArtifact({ wasm: uniqueModule(6 << 20), created: new Date(0) });
      const src = await openLayout(join(dir, 'src'));
      await pushWasmArtifact(src, a, { tag: 'v1' });
      const remote = await openStore(parseReference(`${harness().registry.host}/flotilla-test/${uniqueName('big')}`), chunkBytes !== undefined ? { chunkBytes } : {});
      expect(await copyManifest(src, remote, 'v1', { tag: 'v1' })).toBe(a.manifestDigest);
      const back = await pullWasm(remote, 'v1', await openLayout(join(dir, 'dst')));
      expect((await readFile(back.wasmPath)).equals(Buffer.from(a.layerBytes))).toBe(true);
    });
  }

  it('lists tags across pages (Link header)', async () => {
    const { store, artifact: a } = await pushedArtifact(harness().registry.host, 'tags');
    for (const t of ['a', 'b', 'c']) await store.putManifest(a.manifestBytes, a.manifest.mediaType ?? '', t);
    expect(await store.listTags(2)).toEqual(['a', 'b', 'c', 'v1']);
    expect(await store.listTags(1)).toEqual(['a', 'b', 'c', 'v1']);
  });
});
