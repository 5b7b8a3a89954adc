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
  ])('refuses $name with exit code 2', async ({ args, error }) => {
    const { code, stderr } = await node(args);
    expect(stderr).toMatch(error);
    expect(code).toBe(2);
  });
});
