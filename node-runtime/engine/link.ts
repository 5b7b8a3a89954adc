/**
 * Linking a module against the host capabilities (capabilities/registry.ts), once per module and
 * thread. Every import must belong to a capability the function is configured with and be one that
 * capability provides; anything else refuses the module, naming the import, before an instance
 * exists. Each instance's import object is then the parts of the capabilities, in list order.
 */
import type { CapabilityInstance, CapabilityLinker, HostCapability, PreparedCapability } from '../capabilities/capability.ts';
import { HOST_CAPABILITIES } from '../capabilities/registry.ts';
import type { Import } from '../compile/wasm-binary.ts';
import { NodeRuntimeError } from '../errors.ts';
import type { LoadedModule } from './instances.ts';

interface Entry {
  readonly capability: HostCapability;
  readonly linker: CapabilityLinker<unknown>;
}

/** A module's capabilities, prepared: what each of its instances is made with. */
export class LinkedCapabilities {
  private readonly prepared: readonly PreparedCapability[];

  constructor(prepared: readonly PreparedCapability[]) {
    this.prepared = prepared;
  }

  /** Each capability's part of a new instance, in list order. */
  instantiate(): CapabilityInstance[] {
    return this.prepared.map((p) => p.instantiate());
  }
}

/** The host capabilities inside one thread (a worker, or `flotilla run`), each initialised once. */
export class ThreadCapabilities {
  private readonly entries: readonly Entry[];
  private readonly modules: readonly string[];

  constructor(list: readonly HostCapability[] = HOST_CAPABILITIES) {
    this.entries = list.map((capability) => ({ capability, linker: capability.init() }));
    this.modules = list.flatMap((c) => c.modules);
  }

  /** Checks every import of `loaded` and prepares its configured capabilities. Throws UnsupportedModule naming the import. */
  async link(loaded: LoadedModule): Promise<LinkedCapabilities> {
    const configs: Readonly<Record<string, unknown>> = loaded.capabilities;
    const imports = new Map<Entry, Import[]>();
    for (const imp of loaded.layout.imports) {
      const what = `function ${loaded.name}: import "${imp.module}" "${imp.name}"`;
      const owner = this.entries.find((e) => e.capability.modules.includes(imp.module));
      if (!owner) {
        throw new NodeRuntimeError('UnsupportedModule', `${what}: expected a module one of the node's host capabilities provides (${this.modules.join(', ')}), got ${imp.module}; build the function against those imports only`);
      }
      const { name, grantedBy } = owner.capability;
      if (configs[name] === undefined) {
        throw new NodeRuntimeError('UnsupportedModule', `${what}: expected the ${name} capability to be granted, got none; grant it with ${grantedBy}`);
      }
      const why = owner.capability.unsupported(imp);
      if (why !== undefined) throw new NodeRuntimeError('UnsupportedModule', `${what}: ${why}`);
      const list = imports.get(owner);
      if (list) list.push(imp);
      else imports.set(owner, [imp]);
    }
    const prepared: PreparedCapability[] = [];
    for (const e of this.entries) {
      const config = configs[e.capability.name];
      if (config !== undefined) prepared.push(await e.linker.prepare(config, imports.get(e) ?? []));
    }
    return new LinkedCapabilities(prepared);
  }
}
