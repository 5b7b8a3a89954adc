/** Fuzzing what the API layer reads from outside: YAML manifests (Git), the node contract (ConfigMap and Lease annotations) and cron schedules. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FUZZ_RUNS, typedOrValue } from './testdata/fuzz.ts';
import { parseManifests } from './manifests.ts';
import { emptyAssignment, parseAssignment } from './node-assignment.ts';
import { ANNOTATIONS, nodeLease, parseNodeLease } from './node-contract.ts';

const FN = `apiVersion: flotilla.dev/v1alpha1
kind: WasmFunction
metadata:
  name: echo
  namespace: edge
spec:
  module:
    ref: registry.local/flotilla/echo@sha256:${'a'.repeat(64)}
`;

/** YAML near ours: fragments of a real manifest cut, repeated and spliced with YAML syntax. */
const yamlLike = fc.oneof(
  fc.string({ maxLength: 400 }),
  fc.tuple(fc.nat({ max: FN.length }), fc.nat({ max: FN.length }), fc.constantFrom('', '&a ', '*a', '!!binary ', '{', '[', '"', '---\n', ': ', '<<: *a\n', '? ', '%YAML 1.2\n', '\t')).map(([a, b, junk]) => FN.slice(0, a) + junk + FN.slice(b)),
  fc.array(fc.constantFrom('a: &a [*a]\n', 'b: &b {x: *b}\n', 'c: &c [1,2]\nd: [*c,*c,*c,*c]\n', '---\n', FN), { maxLength: 6 }).map((parts) => parts.join('')),
);

describe('parseManifests (fuzzed)', () => {
  it('returns objects or throws ManifestError for any text', () => {
    fc.assert(
      fc.property(yamlLike, (text) => {
        const out = typedOrValue(() => parseManifests(text, 'fuzz.yaml'));
        if (out instanceof Error) expect(out.name).toBe('ManifestError');
      }),
      { numRuns: FUZZ_RUNS },
    );
  });

  // Found by the property above: an alias expanding past the YAML library's alias budget threw its own ReferenceError.
  it('refuses a billion-laughs document with a ManifestError naming the document', () => {
    const laughs = `a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n`;
    const out = typedOrValue(() => parseManifests(`${FN}---\n${laughs}`, 'laughs.yaml'));
    expect(out).toMatchObject({ name: 'ManifestError', message: expect.stringMatching(/laughs\.yaml#1/) as unknown });
  });
});

describe('parseAssignment (fuzzed)', () => {
  it('returns an assignment or throws a typed error for any text', () => {
    const envelope = fc.record({ node: fc.constantFrom('n1', 'n2'), functions: fc.anything(), dormant: fc.anything(), remote: fc.anything(), routes: fc.anything(), triggers: fc.anything() }, { requiredKeys: [] });
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.jsonValue().map((v) => JSON.stringify(v)), envelope.map((v) => JSON.stringify(v))), (text) => {
        const out = typedOrValue(() => parseAssignment(text, 'n1'));
        if (!(out instanceof Error)) expect(out.assignment.node).toBe('n1');
      }),
      { numRuns: FUZZ_RUNS },
    );
  });

  // Found by the property above (seed -1632645948): entries of one list in error and another list not a list threw a TypeError.
  it('refuses an assignment whose lists are no lists, even with bad entries beside them', () => {
    const text = '{"node":"n1","functions":[false,0,0,false,null,"","",""],"dormant":"","remote":{},"routes":false,"triggers":0}';
    expect(typedOrValue(() => parseAssignment(text, 'n1'))).toMatchObject({ name: 'ManifestError', code: 'InvalidManifest' });
  });

  it('round-trips the empty assignment', () => {
    expect(parseAssignment(JSON.stringify(emptyAssignment('n1')), 'n1')).toEqual({ assignment: emptyAssignment('n1'), issues: [] });
  });
});

describe('parseNodeLease (fuzzed)', () => {
  it('reads any annotations without throwing: a bad one makes the node not ready and says why', () => {
    const annotation = fc.oneof(fc.string({ maxLength: 80 }), fc.jsonValue().map((v) => JSON.stringify(v)));
    fc.assert(
      fc.property(fc.record({ labels: annotation, capacity: annotation, report: annotation }, { requiredKeys: [] }), (a) => {
        const lease = nodeLease({ namespace: 'ns', runtime: 'pool', node: 'n1', holder: 'h', leaseDurationSeconds: 10, nowMs: Date.now() });
        const annotations: Record<string, string> = { ...lease.metadata.annotations };
        if (a.labels !== undefined) annotations[ANNOTATIONS.nodeLabels] = a.labels;
        if (a.capacity !== undefined) annotations[ANNOTATIONS.capacity] = a.capacity;
        if (a.report !== undefined) annotations[ANNOTATIONS.report] = a.report;
        const node = typedOrValue(() => parseNodeLease({ ...lease, metadata: { ...lease.metadata, annotations } }, Date.now()));
        if (node instanceof Error) throw node;
        expect(node.ready || node.problem !== undefined).toBe(true);
      }),
      { numRuns: FUZZ_RUNS },
    );
  });

  it('round-trips what a node writes', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.stringMatching(/^[a-z]{1,8}$/), fc.stringMatching(/^[a-z0-9]{0,8}$/), { maxKeys: 4 }), fc.nat({ max: 10_000 }), fc.dictionary(fc.stringMatching(/^[a-z]{1,6}\/[a-z]{1,6}$/), fc.string({ maxLength: 100 }), { maxKeys: 3 }), (labels, functions, refused) => {
        const nowMs = Date.now();
        const routes = Object.fromEntries(Object.entries(refused).map(([k, message]) => [k, { reason: 'AuthNotEnforceable' as const, message }]));
        const node = parseNodeLease(nodeLease({ namespace: 'ns', runtime: 'pool', node: 'n1', holder: 'h', leaseDurationSeconds: 10, nowMs, labels, capacity: { functions }, routes }), nowMs);
        expect(node).toMatchObject({ name: 'n1', runtime: 'pool', labels, capacity: { functions }, routes, ready: true });
      }),
      { numRuns: FUZZ_RUNS },
    );
  });
});
