import { FUNCTION_ROUTE, FUNCTION_TRIGGER, GROUP, VERSION, WASM_FUNCTION, WASM_RUNTIME } from '../api/index.ts';
import type { FunctionRoute, FunctionTrigger, KindDefinition, WasmFunction, WasmRuntime } from '../api/index.ts';
import type { ObjectMeta, ResourceType } from '../kube/index.ts';

function typeOf(def: KindDefinition): ResourceType {
  return { group: GROUP, version: VERSION, kind: def.kind, plural: def.plural, namespaced: true };
}

/** The four kinds as the controller runtime addresses them (from api/, the one source). */
export const WASM_FUNCTION_TYPE = typeOf(WASM_FUNCTION);
export const WASM_RUNTIME_TYPE = typeOf(WASM_RUNTIME);
export const FUNCTION_ROUTE_TYPE = typeOf(FUNCTION_ROUTE);
export const FUNCTION_TRIGGER_TYPE = typeOf(FUNCTION_TRIGGER);

export { CONFIG_MAP_TYPE } from '../kube/index.ts';

/** An object as read from the API server: api/ types plus the server-set metadata (uid, resourceVersion, ...). */
export type Live<T extends { metadata: object }> = Omit<T, 'metadata'> & { metadata: T['metadata'] & ObjectMeta & { name: string } };

export type LiveWasmFunction = Live<WasmFunction>;
export type LiveWasmRuntime = Live<WasmRuntime>;
export type LiveFunctionRoute = Live<FunctionRoute>;
export type LiveFunctionTrigger = Live<FunctionTrigger>;
