import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const MAIN = join(import.meta.dirname, '..', 'main.ts');
const CLUSTER = join(import.meta.dirname, '..', '..', 'gitops', 'clusters', 'edge-us-east');
const URL = 'nats://nats.us-east.flotilla.example:4222';

async function flotilla(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [MAIN, ...args], { timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe('flotilla nats', () => {
  it('keygen writes the seed (0600, never over a file) and prints only the public key; config renders the cluster\'s pools', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'nats-keygen-')), 'pool.seed');
    const made = await flotilla(['nats', 'keygen', file]);
    expect(made.code).toBe(0);
    const publicKey = made.stdout.trim();
    expect(publicKey).toMatch(/^U[A-Z2-7]{55}$/);
    const seed = readFileSync(file, 'utf8').trim();
    expect(seed).toMatch(/^SU[A-Z2-7]{56}$/);
    expect(made.stdout).not.toContain(seed);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const again = await flotilla(['nats', 'keygen', file]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/expected a path where no file is, got EEXIST/);
    expect(readFileSync(file, 'utf8').trim()).toBe(seed);

    const config = await flotilla(['nats', 'config', CLUSTER, '--nats-url', URL, '--key', `functions/default=${publicKey}`]);
    expect(config.code).toBe(0);
    expect(config.stdout).toContain(`nkey: "${publicKey}"`);
    expect(config.stdout).toContain('"flotilla.invoke.functions.compute"');
    expect(config.stdout).toContain('"$KV.flotilla_kv_functions_compute.>"');
  }, 90_000);

  it.each([
    { name: 'a pool without a key', args: [], error: /got none for functions\/default/ },
    { name: 'a key that is no pool=key', args: ['--key', 'functions/default'], error: /--key: expected <namespace>\/<WasmRuntime>=<public nkey>/ },
  ])('config refuses $name with exit code 2', async ({ args, error }) => {
    const r = await flotilla(['nats', 'config', CLUSTER, '--nats-url', URL, ...args]);
    expect(r.stderr).toMatch(error);
    expect(r.code).toBe(2);
  }, 60_000);
});
