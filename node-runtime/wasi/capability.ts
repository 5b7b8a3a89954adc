/**
 * WASI preview1 as a host capability. The ABI itself (stdio, args, env, clocks, random) comes with
 * every function (`spec.abi: wasi-preview1-wagi`); what the spec grants on top are the preopened
 * directories of `spec.capabilities.volumes`. Every preview1 function name links (sockets answer
 * NOTSOCK, an unknown name NOSYS: host.ts), so any toolchain's module links.
 */
import type { HostCapability } from '../capabilities/capability.ts';
import { WASI_MODULE } from './abi.ts';
import { WasiHost } from './host.ts';
import { admitDirs, type DirGrant } from './host-paths.ts';
import type { Preopen } from './preopen-fs.ts';

/** What the spec grants WASI: the directories to preopen, within the pool's host path ceiling. */
export type WasiGrant = DirGrant;

/** What the workers get: the preopens, their host paths checked and resolved on this node. */
export interface WasiConfig {
  readonly preopens: readonly Preopen[];
}

const NO_PREOPENS: WasiConfig = { preopens: [] };

export const wasiCapability: HostCapability<'wasi', WasiGrant, WasiConfig> = {
  name: 'wasi',
  modules: [WASI_MODULE],
  grantedBy: 'spec.abi',

  grant: (spec, pool) => ({
    dirs: spec.capabilities.volumes.map((v) => ({ guestPath: v.mountPath, hostPath: v.hostPath, readOnly: v.readOnly, grantedAs: `spec.capabilities.volumes ${v.name}` })),
    allowed: pool.hostPaths.allowed,
    allowedBy: `${pool.name} spec.hostPaths.allowed`,
  }),

  // Always linked: a function without volumes still has the ABI. Its directories are checked here,
  // on the node, whatever the operator decided (docs/security.md, "Host paths").
  configure: (functionKey, grant, node) => (grant ? { preopens: admitDirs(functionKey, grant, node.ownDirs ?? []) } : NO_PREOPENS),

  unsupported: (imp) => (imp.kind === 0 ? undefined : `expected a function, got a non-function import ${imp.name}`),

  init: () => ({
    prepare: (config, imports) => ({
      instantiate() {
        // One host per instance for its whole life: it keeps the fd table between begin and end.
        const host = new WasiHost(config.preopens);
        return {
          imports: host.imports(imports),
          bind: (memory) => host.bind(memory),
          begin: (io) => host.begin(io),
          end: () => host.end(),
        };
      },
    }),
  }),
};
