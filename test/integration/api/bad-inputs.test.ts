// The shared bad-input table against the real API server: each object is refused with a message
// naming the field, and the runtime validator refuses it naming the same field.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KINDS, crdFor, validateObject } from '../../../api/index.ts';
import { BAD_INPUTS, GOOD_INPUTS, VALID, badObject } from '../../../api/testdata/bad-inputs.ts';
import { createTestNamespace, harness, kubectl } from '../../harness/index.ts';
import type { TestNamespace } from '../../harness/index.ts';

const k = (args: readonly string[], input?: string) => kubectl(harness().kube.kubeconfig, args, input);
let ns: TestNamespace;

beforeAll(async () => {
  await k(['apply', '--server-side', '--force-conflicts', '--field-manager=flotilla-api-test', '-f', '-'], KINDS.map((d) => JSON.stringify(crdFor(d))).join('\n---\n'));
  await k(['wait', '--for=condition=Established', '--timeout=60s', ...KINDS.map((d) => `crd/${d.plural}.flotilla.dev`)]);
  ns = await createTestNamespace('api-bad');
});

afterAll(async () => {
  await ns?.delete();
});

/** Server-side apply as a dry run: the API server validates fully and stores nothing. */
function serverApply(obj: unknown, extra: readonly string[] = []): Promise<string> {
  return k(['apply', '--server-side', '--dry-run=server', '--field-manager=flotilla-api-test', ...extra, '-f', '-'], JSON.stringify(obj));
}

describe('the API server', () => {
  it.each(KINDS.map((d) => [d.kind]))('admits the minimal valid %s and defaults it exactly as the runtime validator does', async (kind) => {
    const obj = { ...badObject({ name: 'ok', kind, spec: VALID[kind], field: '' }, ns.name), metadata: { name: 'ok', namespace: ns.name } };
    const stored = JSON.parse(await serverApply(obj, ['-o', 'json'])) as { spec: unknown };
    const local = validateObject(kind, obj);
    expect(local.ok).toBe(true);
    if (local.ok) expect(stored.spec).toEqual(local.value.spec);
  });

  it.each(GOOD_INPUTS.map((b) => [b.name, b] as const))('accepts the edge case %s, as the runtime validator does', async (_n, b) => {
    expect(validateObject(b.kind, badObject(b, ns.name)).ok).toBe(true);
    await serverApply(badObject(b, ns.name));
  });

  it.each(BAD_INPUTS.map((b) => [b.name, b] as const))('refuses %s naming the field, as the runtime validator does', async (_n, b) => {
    const obj = badObject(b, ns.name);
    const local = validateObject(b.kind, obj);
    expect(local.ok).toBe(false);
    if (!local.ok) expect(local.errors.map((e) => e.message).join('\n')).toContain(b.field);
    const err = await serverApply(obj).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err, 'the API server accepted it').toBeInstanceOf(Error);
    expect(err?.message).toContain(b.field);
  });
});
