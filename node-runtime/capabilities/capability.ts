/**
 * A host capability: one thing a module may import from the node (WASI, `flotilla:kv`, later
 * outbound HTTP or WASI 0.2 interfaces), written as its own module that takes part in the
 * pipeline stages, after Spin's factors (docs/architecture.md, "Host capabilities"):
 *
 *   grant       resolve, pure: what the WasmFunction spec grants (errors name the spec field)
 *   configure   loader, main thread, once per function: the grant bound to this node
 *   init        worker, once per thread: what outlives modules there (open stores, channels)
 *   prepare     worker, once per module, may be async: ready to instantiate that module
 *   instantiate once per instance: its import object part, then `bind` once the instance exists
 *   begin / end once per invocation of that instance: swap in its state, clean it up
 *
 * `configure`'s result travels to the workers inside the LoadedModule, so it is plain data.
 */
import type { HostPaths, WasmFunctionSpec } from '../../api/index.ts';
import type { Import } from '../compile/wasm-binary.ts';
import type { StateBinder } from '../state/binding.ts';
import type { WasiIo } from '../wasi/host.ts';

/** What the node lends capabilities when it configures a function; absent members: not on this node. */
export interface NodeServices {
  /** Where functions' `flotilla:kv` calls go (StateService); absent: the node has no state directory. */
  readonly state?: StateBinder;
  /** The node's own directories (module cache, state): never granted to a module, nor a directory holding one. */
  readonly ownDirs?: readonly string[];
}

/** What the function's pool (its WasmRuntime) allows beyond the API's bounds: a grant stays within it. */
export interface PoolCeilings {
  /** Where it is declared, for refusals: `WasmRuntime <namespace>/<name>`. */
  readonly name: string;
  readonly hostPaths: HostPaths;
}

/** One capability; `Grant` is what the spec grants, `Config` what travels to the workers. */
export interface HostCapability<Name extends string = string, Grant = unknown, Config = unknown> {
  /** Its key in FunctionDef.grants and LoadedModule.capabilities. */
  readonly name: Name;
  /** The import modules it provides, e.g. `wasi_snapshot_preview1`. */
  readonly modules: readonly string[];
  /** The spec field that grants it, for the refusal of a module that imports it ungranted. */
  readonly grantedBy: string;
  /** What `spec` grants within its pool's ceilings; undefined: nothing. Pure; throws naming the field it refuses. */
  grant(spec: WasmFunctionSpec, pool: PoolCeilings): Grant | undefined;
  /**
   * The grant bound to this node (a store binding, a connection name); undefined: not linked, so
   * a module importing it is refused. Throws a NodeRuntimeError naming the spec field.
   */
  configure(functionKey: string, grant: Grant | undefined, node: NodeServices): Config | undefined;
  /** Why it does not provide `imp` (one of its modules') in "expected X, got Y" form; undefined: it does. */
  unsupported(imp: Import): string | undefined;
  /** Worker side, once per thread. */
  init(): CapabilityLinker<Config>;
}

/** A capability inside one worker thread. */
export interface CapabilityLinker<Config> {
  /**
   * Readies the capability for one module, given its imports from this capability's modules.
   * Once per module and thread, off the request path after the first call; may be async (a
   * connection, a component's adapters): instances are then made synchronously from the result.
   */
  prepare(config: Config, imports: readonly Import[]): PreparedCapability | Promise<PreparedCapability>;
}

/** A capability ready for one module. */
export interface PreparedCapability {
  /** Synchronous: the engine re-makes instances after each reply, when a reset is not enough. */
  instantiate(): CapabilityInstance;
}

/** A capability's part of one instance. */
export interface CapabilityInstance {
  /** Its part of the import object (only its own modules). */
  readonly imports: WebAssembly.Imports;
  /** Called once the instance exists: its exported memory. */
  bind?(memory: WebAssembly.Memory): void;
  /** Starts an invocation on this instance. Runs on the request path: no allocation it can avoid. */
  begin?(io: WasiIo): void;
  /** Ends the invocation (also when it failed): release what it opened, forget its state. */
  end?(): void;
}
