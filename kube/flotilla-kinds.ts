/** Flotilla's four kinds as KubeClient paths address them (from api/, the one source). */
import { FUNCTION_ROUTE, FUNCTION_TRIGGER, GROUP, VERSION, WASM_FUNCTION, WASM_RUNTIME } from '../api/index.ts';
import type { KindDefinition } from '../api/index.ts';
import type { ResourceType } from './resource.ts';

function typeOf(def: KindDefinition): ResourceType {
  return { group: GROUP, version: VERSION, kind: def.kind, plural: def.plural, namespaced: true };
}

export const WASM_FUNCTION_TYPE = typeOf(WASM_FUNCTION);
export const WASM_RUNTIME_TYPE = typeOf(WASM_RUNTIME);
export const FUNCTION_ROUTE_TYPE = typeOf(FUNCTION_ROUTE);
export const FUNCTION_TRIGGER_TYPE = typeOf(FUNCTION_TRIGGER);
