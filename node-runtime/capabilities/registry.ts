/**
 * The node's host capabilities, in one list: resolve reads their grants from it, the loader
 * configures them from it and the engine links every module by walking it. A new capability is
 * its module plus one entry here.
 */
import type { WasmFunctionSpec } from '../../api/index.ts';
import { kvCapability } from '../state/capability.ts';
import { wasiCapability } from '../wasi/capability.ts';
import type { HostCapability, NodeServices, PoolCeilings } from './capability.ts';

/** Every host capability this node has. */
export const HOST_CAPABILITIES = [wasiCapability, kvCapability] as const;

type Listed = (typeof HOST_CAPABILITIES)[number];

/** What a function's spec grants, per capability name (FunctionDef.grants). Plain data. */
export type Grants = { readonly [C in Listed as C['name']]?: C extends HostCapability<string, infer G, unknown> ? G : never };

/** The capabilities configured for one function on this node (LoadedModule.capabilities). Structured-cloneable. */
export type CapabilityConfigs = { readonly [C in Listed as C['name']]?: C extends HostCapability<string, unknown, infer K> ? K : never };

// Walked generically: each entry is read and written under its own name only.
const LIST: readonly HostCapability[] = HOST_CAPABILITIES;

/** The grants of a WasmFunction spec (validated and defaulted by api/) in its pool. Pure; throws naming the field. */
export function grantsFrom(spec: WasmFunctionSpec, pool: PoolCeilings): Grants {
  const out: Record<string, unknown> = {};
  for (const c of LIST) {
    const grant = c.grant(spec, pool);
    if (grant !== undefined) out[c.name] = grant;
  }
  return out;
}

/** Binds a function's grants to this node; a capability it leaves out is not linked. Throws a NodeRuntimeError naming the field. */
export function configureCapabilities(functionKey: string, grants: Grants, node: NodeServices): CapabilityConfigs {
  const given: Readonly<Record<string, unknown>> = grants;
  const out: Record<string, unknown> = {};
  for (const c of LIST) {
    const config = c.configure(functionKey, given[c.name], node);
    if (config !== undefined) out[c.name] = config;
  }
  return out;
}
