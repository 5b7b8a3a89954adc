/** The runtime validator of each kind, built once from the kind definitions. */
import type { FlotillaKind, FlotillaObject, FunctionRoute, FunctionTrigger, WasmFunction, WasmRuntime } from './kinds.ts';
import { FUNCTION_ROUTE, FUNCTION_TRIGGER, WASM_FUNCTION, WASM_RUNTIME } from './kinds.ts';
import { makeValidator } from './validate.ts';
import type { ValidationResult } from './validate.ts';

/** Validates and defaults a WasmFunction (as the API server would). */
export const validateWasmFunction = makeValidator<WasmFunction>(WASM_FUNCTION);
/** Validates and defaults a WasmRuntime. */
export const validateWasmRuntime = makeValidator<WasmRuntime>(WASM_RUNTIME);
/** Validates and defaults a FunctionTrigger. */
export const validateFunctionTrigger = makeValidator<FunctionTrigger>(FUNCTION_TRIGGER);
/** Validates and defaults a FunctionRoute. */
export const validateFunctionRoute = makeValidator<FunctionRoute>(FUNCTION_ROUTE);

const BY_KIND: Record<FlotillaKind, (obj: unknown) => ValidationResult<FlotillaObject>> = {
  WasmFunction: validateWasmFunction,
  WasmRuntime: validateWasmRuntime,
  FunctionTrigger: validateFunctionTrigger,
  FunctionRoute: validateFunctionRoute,
};

/** Validates an object of the given kind. */
export function validateObject(kind: FlotillaKind, obj: unknown): ValidationResult<FlotillaObject> {
  return BY_KIND[kind](obj);
}
