/**
 * `flotilla:kv` as a host capability: granted by `spec.state`, bound by the node to the function's
 * own store (disk, or a NATS bucket through the bridge), and linked into the function's instances.
 */
import type { FunctionState } from '../../api/index.ts';
import type { HostCapability } from '../capabilities/capability.ts';
import { NodeRuntimeError } from '../errors.ts';
import { KV_FUNCTIONS, KV_MODULE } from './abi.ts';
import type { KvBinding } from './binding.ts';
import { kvImports, openSyncStore } from './kv-host.ts';
import type { SyncKvStore } from './store.ts';

/** What `spec.state` grants: which store backs the function's keys. */
export interface KvGrant {
  readonly store: FunctionState['store'];
}

const PROVIDED: ReadonlySet<string> = new Set(KV_FUNCTIONS);

export const kvCapability: HostCapability<'kv', KvGrant, KvBinding> = {
  name: 'kv',
  modules: [KV_MODULE],
  grantedBy: 'spec.state',

  grant: (spec) => (spec.state ? { store: spec.state.store } : undefined),

  configure(functionKey, grant, node) {
    if (!grant) return undefined;
    if (!node.state) {
      throw new NodeRuntimeError('InvalidArgument', `function ${functionKey}: expected a state directory for spec.state, got none; start the node with one (flotilla node --state-dir)`);
    }
    try {
      return node.state.bindingFor(functionKey, grant.store === 'nats');
    } catch (err) {
      throw new NodeRuntimeError('InvalidArgument', `function ${functionKey}: spec.state.store ${grant.store}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  },

  unsupported: (imp) => (imp.kind === 0 && PROVIDED.has(imp.name) ? undefined : `expected one of the functions ${KV_FUNCTIONS.join(', ')}, got ${imp.kind === 0 ? `a function ${imp.name}` : `a non-function ${imp.name}`}`),

  init() {
    // Stores live per binding for the thread's life: instances come and go, the bridge channel stays.
    const stores = new Map<string, SyncKvStore>();
    return {
      prepare(binding) {
        const id = JSON.stringify(binding);
        let store = stores.get(id);
        if (!store) {
          store = openSyncStore(binding);
          stores.set(id, store);
        }
        const opened = store;
        return {
          instantiate() {
            // The imports read the memory, which exists only once the instance does.
            let memory: WebAssembly.Memory | undefined;
            return {
              imports: kvImports(opened, () => memory!),
              bind: (m) => {
                memory = m;
              },
            };
          },
        };
      },
    };
  },
};
