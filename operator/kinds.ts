import type { FunctionRoute, FunctionTrigger, WasmFunction, WasmRuntime } from '../api/index.ts';
import type { ObjectMeta } from '../kube/index.ts';

/** The four kinds as the controller runtime addresses them (kube/, from api/). */
export { FUNCTION_ROUTE_TYPE, FUNCTION_TRIGGER_TYPE, WASM_FUNCTION_TYPE, WASM_RUNTIME_TYPE } from '../kube/index.ts';
export { CONFIG_MAP_TYPE } from '../kube/index.ts';

/** An object as read from the API server: api/ types plus the server-set metadata (uid, resourceVersion, ...). */
export type Live<T extends { metadata: object }> = Omit<T, 'metadata'> & { metadata: T['metadata'] & ObjectMeta & { name: string } };

export type LiveWasmFunction = Live<WasmFunction>;
export type LiveWasmRuntime = Live<WasmRuntime>;
export type LiveFunctionRoute = Live<FunctionRoute>;
export type LiveFunctionTrigger = Live<FunctionTrigger>;
