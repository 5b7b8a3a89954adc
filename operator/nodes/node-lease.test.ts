import { describe, expect, it } from 'vitest';
import { ANNOTATIONS, nodeLease, parseNodeLease } from '../../api/index.ts';
import { endpointChangeMatters, leaseChangeMatters, nextExpiry } from './node-lease.ts';

const hb = { namespace: 'ns', runtime: 'edge', node: 'n1', holder: 'n1-123', leaseDurationSeconds: 10, nowMs: 1_000_000 };

describe('node Lease', () => {
  it('one machine in two pools registers two distinct Leases', () => {
    expect(nodeLease({ ...hb, runtime: 'default' }).metadata.name).not.toBe(nodeLease({ ...hb, runtime: 'large' }).metadata.name);
    // A pool name cannot contain the separator, so no other (pool, node) pair maps to the same name.
    expect(nodeLease({ ...hb, runtime: 'a-b', node: 'x' }).metadata.name).not.toBe(nodeLease({ ...hb, runtime: 'a', node: 'b-x' }).metadata.name);
  });

  it('round-trips a heartbeat', () => {
    const lease = nodeLease({ ...hb, labels: { zone: 'a' }, capacity: { functions: 3 }, version: '0.1.0', endpoint: 'http://127.0.0.1:1', report: { 'ns/f': { digest: 'sha256:x', state: 'Loaded' } } });
    expect(lease.metadata.name).toBe('flotilla-node-edge.n1');
    const node = parseNodeLease(lease, hb.nowMs + 9_999);
    expect(node).toMatchObject({ name: 'n1', runtime: 'edge', labels: { zone: 'a' }, capacity: { functions: 3 }, version: '0.1.0', ready: true, expiresAtMs: 1_010_000 });
    expect(node.report['ns/f']?.state).toBe('Loaded');
  });

  it.each([
    { name: 'expired', at: 1_010_000, ready: true, expected: false },
    { name: 'released (no holder)', at: 1_000_001, holder: '', expected: false },
  ])('not ready when $name', ({ at, holder, expected }) => {
    expect(parseNodeLease(nodeLease({ ...hb, holder: holder ?? hb.holder }), at).ready).toBe(expected);
  });

  it('a node with unreadable annotations is not ready and says why', () => {
    const lease = nodeLease(hb);
    lease.metadata.annotations = { ...lease.metadata.annotations, [ANNOTATIONS.capacity]: '{' };
    const node = parseNodeLease(lease, hb.nowMs);
    expect(node.ready).toBe(false);
    expect(node.problem).toMatch(/capacity is not JSON/);
  });

  it('reads every field of a report', () => {
    const report = { 'ns/f': { digest: 'sha256:x', state: 'Failed', reason: 'CompileFailed', message: 'bad module', failures: 2, inFlight: 0.5, waiting: 0, idle: false }, 'ns/g': { digest: 'sha256:y', state: 'Wanted', waiting: 3 } } as const;
    const node = parseNodeLease(nodeLease({ ...hb, report }), hb.nowMs);
    expect(node).toMatchObject({ ready: true, report });
    expect(node.problem).toBeUndefined();
  });

  it.each([
    { name: 'a report state it does not know', key: ANNOTATIONS.report, value: '{"ns/f":{"digest":"sha256:x","state":"Running"}}', problem: 'annotation flotilla.dev/function-status: ns/f.state must be one of "Loading", "Loaded", "Failed", "Wanted", got "Running"' },
    { name: 'a report without a digest', key: ANNOTATIONS.report, value: '{"ns/f":{"state":"Loaded"}}', problem: 'annotation flotilla.dev/function-status: ns/f.digest is required; set it' },
    { name: 'a negative capacity', key: ANNOTATIONS.capacity, value: '{"functions":-1}', problem: 'annotation flotilla.dev/capacity: functions must be >= 0, got -1' },
    { name: 'a fractional capacity', key: ANNOTATIONS.capacity, value: '{"functions":1.5}', problem: 'annotation flotilla.dev/capacity: functions must be of type "integer", got 1.5' },
    { name: 'labels that are not strings', key: ANNOTATIONS.nodeLabels, value: '{"zone":1}', problem: 'annotation flotilla.dev/node-labels: zone must be of type "string", got 1' },
  ])('a node with $name is not ready and says where', ({ key, value, problem }) => {
    const lease = nodeLease(hb);
    lease.metadata.annotations = { ...lease.metadata.annotations, [key]: value };
    const node = parseNodeLease(lease, hb.nowMs);
    expect(node).toMatchObject({ ready: false, problem, capacity: { functions: 0 } });
  });

  it('nextExpiry is the soonest ready expiry (plus a margin)', () => {
    const a = parseNodeLease(nodeLease(hb), hb.nowMs);
    const b = parseNodeLease(nodeLease({ ...hb, node: 'n2', nowMs: hb.nowMs + 5000 }), hb.nowMs);
    expect(nextExpiry([a, b], hb.nowMs + 1000)).toBe(9_050);
    expect(nextExpiry([], 0)).toBeUndefined();
  });

  it.each([
    { name: 'a new node', old: undefined, next: nodeLease(hb), at: hb.nowMs, matters: true },
    { name: 'a plain renewal', old: nodeLease(hb), next: nodeLease({ ...hb, nowMs: hb.nowMs + 2000 }), at: hb.nowMs + 2000, matters: false },
    { name: 'a new report', old: nodeLease(hb), next: nodeLease({ ...hb, report: { 'ns/f': { digest: 'd', state: 'Loaded' } } }), at: hb.nowMs, matters: true },
    { name: 'back after expiring', old: nodeLease(hb), next: nodeLease({ ...hb, nowMs: hb.nowMs + 60_000 }), at: hb.nowMs + 60_000, matters: true },
  ])('leaseChangeMatters: $name → $matters', ({ old, next, at, matters }) => {
    expect(leaseChangeMatters(next, old, at)).toBe(matters);
  });

  it.each([
    { name: 'a new node', old: undefined, next: nodeLease({ ...hb, endpoint: 'http://a:1' }), at: hb.nowMs, matters: true },
    { name: 'a new report', old: nodeLease({ ...hb, endpoint: 'http://a:1' }), next: nodeLease({ ...hb, endpoint: 'http://a:1', report: { 'ns/f': { digest: 'd', state: 'Loaded' } } }), at: hb.nowMs, matters: false },
    { name: 'a moved endpoint', old: nodeLease({ ...hb, endpoint: 'http://a:1' }), next: nodeLease({ ...hb, endpoint: 'http://a:2' }), at: hb.nowMs, matters: true },
    { name: 'back after expiring', old: nodeLease(hb), next: nodeLease({ ...hb, nowMs: hb.nowMs + 60_000 }), at: hb.nowMs + 60_000, matters: true },
  ])('endpointChangeMatters: $name → $matters', ({ old, next, at, matters }) => {
    expect(endpointChangeMatters(next, old, at)).toBe(matters);
  });
});
