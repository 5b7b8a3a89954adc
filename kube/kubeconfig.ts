import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { FlotillaError } from '../api/errors.ts';

/** Where the kubeconfig came from, for the startup log line. */
export type KubeConfigSource = { kind: 'file'; path: string; from: '--kubeconfig' | 'KUBECONFIG' | 'default' } | { kind: 'in-cluster' };

export class KubeConfigError extends FlotillaError<'KubeConfigNotFound' | 'KubeConfigInvalid'> {}

/** What the lookup may read: passed in by the CLI, so nothing below reads process.env. */
export interface KubeConfigInputs {
  readonly flag?: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly homeDir: string;
  readonly exists?: (path: string) => boolean;
}

/** The kubectl order: --kubeconfig, then $KUBECONFIG (first entry), then ~/.kube/config, then the in-cluster service account. */
export function findKubeConfig(inputs: KubeConfigInputs): KubeConfigSource {
  const exists = inputs.exists ?? existsSync;
  if (inputs.flag) return { kind: 'file', path: inputs.flag, from: '--kubeconfig' };
  const fromEnv = inputs.env.KUBECONFIG?.split(':').find((p) => p !== '');
  if (fromEnv) return { kind: 'file', path: fromEnv, from: 'KUBECONFIG' };
  const home = join(inputs.homeDir, '.kube', 'config');
  if (exists(home)) return { kind: 'file', path: home, from: 'default' };
  if (inputs.env.KUBERNETES_SERVICE_HOST) return { kind: 'in-cluster' };
  throw new KubeConfigError(
    'KubeConfigNotFound',
    `expected a kubeconfig from --kubeconfig, $KUBECONFIG, ${home} or an in-cluster service account, got none: pass --kubeconfig <file>`,
  );
}

/** Loads the kubeconfig `source` names. */
export function loadKubeConfig(source: KubeConfigSource): KubeConfig {
  const kc = new KubeConfig();
  try {
    if (source.kind === 'in-cluster') kc.loadFromCluster();
    else kc.loadFromFile(source.path);
  } catch (err) {
    const where = source.kind === 'in-cluster' ? 'the in-cluster service account' : source.path;
    throw new KubeConfigError('KubeConfigInvalid', `could not load a kubeconfig from ${where}: ${(err as Error).message}`, { cause: err });
  }
  if (!kc.getCurrentCluster()) {
    throw new KubeConfigError('KubeConfigInvalid', `expected a current context with a cluster in ${source.kind === 'file' ? source.path : 'in-cluster config'}, got none: set current-context`);
  }
  return kc;
}

/** Loads a kubeconfig file named by the caller (a path the program itself wrote or was given). */
export function loadKubeConfigFile(path: string): KubeConfig {
  return loadKubeConfig({ kind: 'file', path, from: '--kubeconfig' });
}

/** A copy of `kc` switched to context `name` (kubectl's --context); KubeConfigInvalid naming the contexts it has when there is none by that name. */
export function withContext(kc: KubeConfig, name: string, where: string): KubeConfig {
  const names = kc.getContexts().map((c) => c.name);
  if (!names.includes(name)) {
    throw new KubeConfigError('KubeConfigInvalid', `--context ${name}: no such context in ${where}; it has ${names.length > 0 ? names.join(', ') : 'none'}`);
  }
  const copy = new KubeConfig();
  copy.loadFromString(kc.exportConfig());
  copy.setCurrentContext(name);
  if (!copy.getCurrentCluster()) throw new KubeConfigError('KubeConfigInvalid', `--context ${name}: its cluster is not in ${where}; add the cluster or fix the context`);
  return copy;
}
