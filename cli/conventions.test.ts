/**
 * The CLI's conventions, on the real `flotilla` process: one `-o` vocabulary checked before any
 * side effect, one-line errors with the cause and the fix (no stack trace without --debug), usage
 * errors that print the usage line, documented exit codes, and the keygen, version and completion
 * commands. Everything here runs offline; the cluster-facing parts (status/version --context) are in
 * test/integration/cli/.
 */
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from './exit-codes.ts';

const MAIN = join(import.meta.dirname, 'main.ts');
/** The smallest valid WebAssembly module: magic and version. */
const EMPTY_WASM = Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);

async function flotilla(cwd: string, args: string[], env: Record<string, string> = {}) {
  const r = await execa(process.execPath, [MAIN, ...args], { cwd, env: { FLOTILLA_ORAS: '/nonexistent', SOURCE_DATE_EPOCH: '1700000000', ...env }, reject: false, timeout: 60_000 });
  return { exitCode: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr) };
}

describe('flotilla CLI conventions', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flotilla-cli-conventions-'));
    await writeFile(join(dir, 'fn.wasm'), EMPTY_WASM);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses a wrong -o while parsing, before a push touches the target', async () => {
    const r = await flotilla(dir, ['push', 'fn.wasm', 'oci-layout:out:v1', '-o', 'xml']);
    expect(r.exitCode).toBe(EXIT_CODES['InvalidArgument']);
    expect(r.stderr).toContain("flotilla: usage: option '-o, --output <format>' argument 'xml' is invalid. Allowed choices are table, json, yaml, name.");
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('speaks one -o vocabulary: push prints json, yaml or the pinned name', async () => {
    const json = JSON.parse((await flotilla(dir, ['push', 'fn.wasm', 'oci-layout:out:v1', '-o', 'json'])).stdout) as { reference: string; digest: string };
    expect(json.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    const yaml = await flotilla(dir, ['push', 'fn.wasm', 'oci-layout:out:v2', '-o', 'yaml']);
    expect(yaml.stdout).toContain(`digest: ${json.digest}`);
    const name = await flotilla(dir, ['push', 'fn.wasm', 'oci-layout:out:v3', '-o', 'name']);
    expect(name.stdout).toBe(json.reference);
  });

  it('a missing file is one line naming the path and the fix, exit FileNotFound, and the stack only with --debug', async () => {
    const r = await flotilla(dir, ['push', 'missing.wasm', 'oci-layout:out:v1']);
    expect(r.exitCode).toBe(EXIT_CODES['FileNotFound']);
    expect(r.stderr.trim()).toBe(`flotilla: FileNotFound: missing.wasm: no such file or directory; check the path (relative paths start at ${dir})`);
    const key = await flotilla(dir, ['verify', 'oci-layout:out:v1', '--key', 'nokey.pub']);
    expect(key.exitCode).toBe(EXIT_CODES['FileNotFound']);
    expect(key.stderr).toContain('nokey.pub: no such file or directory');
    const debug = await flotilla(dir, ['--debug', 'push', 'missing.wasm', 'oci-layout:out:v1']);
    expect(debug.stderr).toMatch(/\n\s+at /);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  describe('a taken port', () => {
    let server: Server;
    let port: number;
    beforeAll(async () => {
      server = createServer();
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as { port: number }).port;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('serve says which address is in use and how to pick another, and exits', async () => {
      const r = await flotilla(dir, ['serve', 'fn.wasm', '--port', String(port), '--log-level', 'silent']);
      expect(r.exitCode).toBe(EXIT_CODES['AddressInUse']);
      expect(r.stderr).toContain(`flotilla: AddressInUse: 127.0.0.1:${port}: address already in use by another process; stop it, or pick another port (0 picks a free one)`);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    });
  });

  it('a usage error prints the usage line, not the whole help, and exits 2', async () => {
    const r = await flotilla(dir, ['verify']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("flotilla: usage: missing required argument 'reference'");
    expect(r.stderr).toContain('Usage: flotilla verify [options] <reference>');
    expect(r.stderr).not.toContain('Options:');
    const nested = await flotilla(dir, ['audit', 'verify']);
    expect(nested.stderr).toContain('Usage: flotilla audit verify [options] <file>');
    expect((await flotilla(dir, ['verify', '--help'])).exitCode).toBe(0);
  });

  it('keygen writes a cosign-format pair that flotilla sign and verify use, and never replaces a key', async () => {
    const env = { COSIGN_PASSWORD: 'correct horse' };
    const made = await flotilla(dir, ['keygen', '--output-key-prefix', 'team', '-o', 'json'], env);
    expect(made.exitCode).toBe(0);
    const out = JSON.parse(made.stdout) as { privateKey: string; publicKey: string; publicKeyPem: string };
    expect(out).toMatchObject({ privateKey: 'team.key', publicKey: 'team.pub' });
    expect(statSync(join(dir, 'team.key')).mode & 0o777).toBe(0o600);
    expect(await readFile(join(dir, 'team.key'), 'utf8')).toContain('-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----');
    expect(await readFile(join(dir, 'team.pub'), 'utf8')).toBe(out.publicKeyPem);

    expect((await flotilla(dir, ['push', 'fn.wasm', 'oci-layout:signed:v1'])).exitCode).toBe(0);
    const sign = await flotilla(dir, ['sign', 'oci-layout:signed:v1', '--key', 'team.key', '--native'], env);
    expect(sign.exitCode).toBe(0);
    const verify = await flotilla(dir, ['verify', 'oci-layout:signed:v1', '--key', 'team.pub']);
    expect(verify.exitCode).toBe(0);
    const wrong = await flotilla(dir, ['sign', 'oci-layout:signed:v1', '--key', 'team.key', '--native'], { COSIGN_PASSWORD: 'wrong' });
    expect(wrong.exitCode).toBe(EXIT_CODES['WrongPassword']);

    const before = await readFile(join(dir, 'team.key'), 'utf8');
    const again = await flotilla(dir, ['keygen', '--output-key-prefix', 'team'], env);
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toContain('team.key: already exists');
    expect(await readFile(join(dir, 'team.key'), 'utf8')).toBe(before);
    expect((await flotilla(dir, ['keygen', '--output-key-prefix', 'nopass'])).stderr).toContain('$COSIGN_PASSWORD');
  });

  it('version prints the client version from package.json', async () => {
    const pkg = JSON.parse(await readFile(join(import.meta.dirname, '../package.json'), 'utf8')) as { version: string };
    const r = await flotilla(dir, ['version', '--client', '-o', 'json']);
    expect(JSON.parse(r.stdout)).toEqual({ client: { version: pkg.version, node: process.version, platform: `${process.platform}/${process.arch}` } });
    expect((await flotilla(dir, ['--version'])).stdout.trim()).toBe(pkg.version);
  });

  it('completion bash completes commands, nested commands, flags and -o choices in a real bash', async () => {
    const script = join(dir, 'completion.bash');
    await writeFile(script, (await flotilla(dir, ['completion', 'bash'])).stdout);
    const complete = async (...words: string[]) => {
      const r = await execa('bash', ['-c', `source ${script}; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _flotilla; printf '%s\\n' "\${COMPREPLY[@]}"`]);
      return String(r.stdout).split('\n').filter((l) => l !== '');
    };
    expect(await complete('flotilla', 'ke')).toEqual(['keygen']);
    expect(await complete('flotilla', 'audit', '')).toContain('verify');
    expect(await complete('flotilla', 'status', '-o', '')).toEqual(['table', 'wide', 'json', 'yaml', 'name']);
    expect(await complete('flotilla', 'push', '--na')).toEqual(['--native']);
    const fish = await flotilla(dir, ['completion', 'fish']);
    expect(fish.stdout).toContain("complete -c flotilla -n '__fish_seen_subcommand_from status' -s o -l output -x -a 'table wide json yaml name'");
    expect((await flotilla(dir, ['completion', 'tcsh'])).exitCode).toBe(2);
  });
});
