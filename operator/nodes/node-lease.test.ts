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
