/** Kubernetes helpers for the harness itself: applying manifests with kubectl, namespaces, names. */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import type { KubeConfig } from '@kubernetes/client-node';
import { toolPath } from '../tools/paths.ts';
import { createKubeClient, KubeApiError } from '../../kube/index.ts';
import { waitFor } from './wait.ts';

const run = promisify(execFile);

/** A name that is unique across the run and valid as a Kubernetes name (RFC 1123 label, ≤ 63 chars). */
export function uniqueName(prefix: string): string {
  const clean = prefix.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'x';
  return `${clean}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}


/** Runs kubectl against `kubeconfig`; rejects with kubectl's stderr in the message. */
export async function kubectl(kubeconfig: string, args: readonly string[], input?: string): Promise<string> {
  const child = run(toolPath('kubectl'), ['--kubeconfig', kubeconfig, ...args], { maxBuffer: 64 * 1024 * 1024 });
  if (input !== undefined) {
    child.child.stdin?.end(input);
  }
  try {
    return (await child).stdout;
  } catch (err) {
    const e = err as Error & { stderr?: string };
    throw new Error(`kubectl ${args.join(' ')} failed: ${e.stderr?.trim() || e.message}`, { cause: err });
  }
}

/** Server-side applies multi-document YAML with the harness's field manager. */
export function applyYaml(kubeconfig: string, yaml: string): Promise<string> {
  return kubectl(kubeconfig, ['apply', '--server-side', '--force-conflicts', '--field-manager=flotilla-harness', '-f', '-'], yaml);
}

export interface TestNamespace {
  readonly name: string;
  /** Deletes the namespace (kube-controller-manager finalizes it in the background). */
  delete(): Promise<void>;
}

/** Creates a uniquely named namespace labelled as test-owned. */
export async function createNamespace(kc: KubeConfig, prefix: string): Promise<TestNamespace> {
  const client = createKubeClient(kc);
  const name = uniqueName(prefix);
  await client.request({ method: 'POST', path: '/api/v1/namespaces', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'flotilla.dev/test': 'true' } } } });
  return {
    name,
    async delete() {
      await client.request({ method: 'DELETE', path: `/api/v1/namespaces/${name}` }).catch((err: unknown) => {
        if (!(err instanceof KubeApiError && err.code === 'NotFound')) throw err;
      });
    },
  };
}

/**
 * Waits until every named CRD reports Established=True. (`kubectl wait` fails outright while a
 * fresh CRD has no status yet, so this polls instead.)
 */
export async function waitForCrdsEstablished(kc: KubeConfig, names: readonly string[], timeoutMs = 60_000): Promise<void> {
  const client = createKubeClient(kc);
  for (const name of names) {
    await waitFor(
      async () => {
        const crd = await client.request<{ status?: { conditions?: { type: string; status: string }[] } }>({ method: 'GET', path: `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}` });
        return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ? true : undefined;
      },
      { what: `CRD ${name} to be Established`, timeoutMs },
    );
  }
}
