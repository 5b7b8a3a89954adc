/**
 * Which store a function's `flotilla:kv` calls reach. Plain data: it travels to the invocation
 * workers inside the LoadedModule (structured clone), and the worker opens the store from it.
 * The namespace is fixed here by the node, never by the guest: a function only sees its own keys.
 */
import { join } from 'node:path';
import { KvError } from './abi.ts';
import { kvBucketName } from '../../api/nats-permissions.ts';

export type KvBinding =
  /** Embedded default: files under `dir` (one directory per function), synchronous and crash-safe. */
  | { readonly store: 'disk'; readonly dir: string }
  /**
   * A NATS JetStream KV bucket per function, shared by the cluster's nodes. The node's main thread
   * holds the connection; the worker reaches it over the BroadcastChannel `channel` (bridge.ts).
   */
  | { readonly store: 'nats'; readonly channel: string; readonly bucket: string };

/** Where a function's kv calls go (StateService); `shared` asks for the cluster-wide store (throws when there is none). */
export interface StateBinder {
  bindingFor(functionKey: string, shared: boolean): KvBinding;
}

const LABEL = /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/;

/** Splits and checks a "namespace/name" function key. */
export function functionKeyParts(functionKey: string): { namespace: string; name: string } {
  const [namespace, name, extra] = functionKey.split('/');
  if (!namespace || !name || extra !== undefined || !LABEL.test(namespace) || !LABEL.test(name) || functionKey.includes('..')) {
    throw new KvError('InvalidArgument', `expected a function key "<namespace>/<name>" of DNS names, got ${JSON.stringify(functionKey)}`);
  }
  return { namespace, name };
}

/** The disk binding of a function: `<root>/<namespace>/<name>/`. */
export function diskBinding(root: string, functionKey: string): KvBinding {
  const { namespace, name } = functionKeyParts(functionKey);
  return { store: 'disk', dir: join(root, namespace, name) };
}

/**
 * The NATS KV bucket of a function. Bucket names allow [A-Za-z0-9_-]; DNS names never hold "_",
 * so mapping "." to "_" and joining with "_" cannot make two functions share a bucket.
 */
export function bucketName(functionKey: string): string {
  const { namespace, name } = functionKeyParts(functionKey);
  return kvBucketName(`${namespace}/${name}`);
}

export function natsBinding(channel: string, functionKey: string): KvBinding {
  return { store: 'nats', channel, bucket: bucketName(functionKey) };
}
