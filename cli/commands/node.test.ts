import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const MAIN = join(import.meta.dirname, '..', 'main.ts');

/** Runs `flotilla node <args>` and returns how it ended (each case is refused before anything starts). */
async function node(args: string[]): Promise<{ code: number; stderr: string }> {
  try {
    await promisify(execFile)(process.execPath, [MAIN, 'node', ...args], { timeout: 20_000 });
    return { code: 0, stderr: '' };
  } catch (err) {
    const e = err as { code?: number; stderr?: string };
    return { code: e.code ?? -1, stderr: e.stderr ?? '' };
  }
}

describe('flotilla node: choosing the desired state source', () => {
  it.each([
    { name: 'neither --manifests nor --cluster', args: [], error: /expected exactly one of --manifests <dir> \(standalone\) and --cluster .*got neither/ },
    { name: 'both', args: ['--manifests', '.', '--cluster'], error: /got both/ },
    { name: '--cluster without --runtime', args: ['--cluster', '--namespace', 'ns'], error: /--cluster: expected --runtime <WasmRuntime> and --namespace <its namespace>, got no --runtime/ },
    { name: '--cluster with a trust key', args: ['--cluster', '--runtime', 'edge', '--namespace', 'ns', '--trust-key', 'k.pem'], error: /expected no --trust-key\/--trust-policy/ },
    { name: 'a label that is not key=value', args: ['--cluster', '--runtime', 'edge', '--namespace', 'ns', '--kubeconfig', '/dev/null', '--labels', 'zone'], error: /--labels: expected key=value .*got "zone"/ },
    { name: 'a peer token file without --cluster', args: ['--manifests', '.', '--peer-token-file', 'token'], error: /--peer-token-file: expected --cluster as well .*use --peer-key-file/ },
    { name: 'a pool key file that cannot be read', args: ['--manifests', '.', '--peer-key-file', '/nonexistent/pool.key'], error: /--peer-key-file: expected a readable key file, got ENOENT/ },
    { name: 'both a pool key and a peer ServiceAccount', args: ['--manifests', '.', '--peer-key-file', 'k', '--peer-service-account', 'sa'], error: /expected one of --peer-key-file and --peer-service-account, got both/ },
  ])('refuses $name with exit code 2', async ({ args, error }) => {
    const { code, stderr } = await node(args);
    expect(stderr).toMatch(error);
    expect(code).toBe(2);
  });
});

describe('flotilla node: scale-from-zero flags', () => {
  // Checked before the desired state source: no --manifests needed to see the flag's own error.
  it.each([
    { name: 'a wait that is not a number', args: ['--cold-start-wait-ms', '30s'], error: /--cold-start-wait-ms: expected an integer 1000\.\.600000, got "30s"/ },
    { name: 'a wait too short for the operator to place anything', args: ['--cold-start-wait-ms', '999'], error: /--cold-start-wait-ms: expected an integer 1000\.\.600000, got "999"/ },
    { name: 'a wait above 10 min', args: ['--cold-start-wait-ms', '600001'], error: /--cold-start-wait-ms: expected an integer 1000\.\.600000, got "600001"/ },
    { name: 'a negative held request limit', args: ['--max-held-requests', '-1'], error: /--max-held-requests: expected an integer 0\.\.10000, got "-1"/ },
    { name: 'a fractional held request limit', args: ['--max-held-requests', '2.5'], error: /--max-held-requests: expected an integer 0\.\.10000, got "2\.5"/ },
    { name: 'a held request limit above 10000', args: ['--max-held-requests', '10001'], error: /--max-held-requests: expected an integer 0\.\.10000, got "10001"/ },
  ])('refuses $name with exit code 2', async ({ args, error }) => {
    const { code, stderr } = await node(args);
    expect(stderr).toMatch(error);
    expect(code).toBe(2);
  });

  it('accepts the bounds and --no-pre-pull, then goes on to the next check', async () => {
    const { code, stderr } = await node(['--no-pre-pull', '--cold-start-wait-ms', '1000', '--max-held-requests', '0']);
    expect(stderr).not.toMatch(/--cold-start-wait-ms|--max-held-requests|pre-pull/);
    expect(stderr).toMatch(/got neither/);
    expect(code).toBe(2);
  });

  it('documents the three flags and their defaults in --help', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [MAIN, 'node', '--help'], { timeout: 20_000 });
    expect(stdout).toMatch(/--no-pre-pull/);
    expect(stdout).toMatch(/--cold-start-wait-ms <n>[\s\S]*\(default:\s+"30000"\)/);
    expect(stdout).toMatch(/--max-held-requests <n>[\s\S]*\(default:\s+"256"\)/);
  });
});

describe('flotilla node: --nats-creds', () => {
  // Checked before the desired state source: no --manifests needed to see the flag's own error.
  it.each([
    { name: 'credentials without a server', args: ['--nats-creds', '/nonexistent/seed'], error: /--nats-creds: expected --nats-url as well, got none/ },
    { name: 'a missing file', args: ['--nats-url', 'nats://127.0.0.1:4222', '--nats-creds', '/nonexistent/seed'], error: /--nats-creds \/nonexistent\/seed: expected a readable file holding the pool's nkey user seed, got ENOENT; mount the pool's Secret there or fix the path/ },
    { name: 'a file that holds no seed', args: ['--nats-url', 'nats://127.0.0.1:4222', '--nats-creds', MAIN], error: /--nats-creds .*main\.ts: expected one nkey user seed, got \d+ non-comment lines; write the seed `flotilla nats keygen` made/ },
  ])('refuses $name with exit code 2', async ({ args, error }) => {
    const { code, stderr } = await node(args);
    expect(stderr).toMatch(error);
    expect(code).toBe(2);
  });
});
