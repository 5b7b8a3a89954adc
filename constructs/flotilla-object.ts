/**
 * The one place a construct turns props into a Flotilla object: the spec goes through the same
 * runtime validator the operator uses (so a construct refuses exactly what the API server refuses),
 * and the construct keeps the defaulted spec for cross-object rules at synth.
 */
import { ApiObject, Lazy } from 'cdk8s';
import type { Construct } from 'constructs';
import { API_VERSION, validateObject } from '../api/index.ts';
import type { FlotillaKind, FlotillaObject } from '../api/index.ts';
import { ConstructError } from './errors.ts';

/** Drops undefined values so optional props do not reach the manifest as explicit nulls. */
export function compact<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** Validates the object a construct declares; throws InvalidProps listing every bad prop and value. */
export function validatedObject<O extends FlotillaObject>(scope: Construct, kind: FlotillaKind, name: string, spec: object, labels?: Record<string, string>): O {
  const obj = { apiVersion: API_VERSION, kind, metadata: compact({ name, labels }), spec: compact(spec) };
  const result = validateObject(kind, obj);
  if (!result.ok) {
    const lines = result.errors.map((e) => `  - ${e.message}`).join('\n');
    throw new ConstructError('InvalidProps', `${kind} "${name}" at ${scope.node.path} has invalid props:\n${lines}`);
  }
  return result.value as O;
}

/**
 * The ApiObject rendering an object. The spec is rendered as written by the user (the API server
 * applies the defaults), read at synth so `addXxx()` calls after construction are included.
 */
export function renderObject(scope: Construct, kind: FlotillaKind, name: string, spec: () => object, labels: Record<string, string> = {}): ApiObject {
  return new ApiObject(scope, 'Resource', {
    apiVersion: API_VERSION,
    kind,
    metadata: { name, labels: { 'app.kubernetes.io/part-of': 'flotilla', ...labels } },
    spec: Lazy.any({ produce: () => compact(spec()) }) as unknown,
  });
}
