import { describe, expect, it } from 'vitest';
import { MAX_COMMITS, pushPayload, signature256 } from './push-payload.ts';

const ZERO = '0'.repeat(40);
const [A, B] = ['a'.repeat(40), 'b'.repeat(40)];
const c = (id: string) => ({ id, message: id, added: [], modified: ['x.yaml'], removed: [] });

describe('pushPayload', () => {
  it('carries what Argo CD matches on: html_url, ref and the default branch', () => {
    const p = pushPayload({ repo: 'fleet', ref: 'refs/heads/main', before: A, after: B }, [c(B)], { baseUrl: 'http://127.0.0.1:4000/', defaultBranch: 'main' }) as Record<string, unknown>;
    expect(p).toMatchObject({ ref: 'refs/heads/main', before: A, after: B, created: false, deleted: false, repository: { html_url: 'http://127.0.0.1:4000/fleet', default_branch: 'main' }, head_commit: { id: B } });
  });

  it.each([
    ['a new branch', ZERO, B, { created: true, deleted: false }],
    ['a deleted branch', A, ZERO, { created: false, deleted: true }],
  ])('marks %s', (_, before, after, flags) => {
    expect(pushPayload({ repo: 'r', ref: 'refs/heads/x', before, after }, [], { baseUrl: 'http://h/', defaultBranch: 'main' })).toMatchObject({ ...flags, head_commit: null });
  });

  it(`lists at most ${MAX_COMMITS} commits, the newest`, () => {
    const many = Array.from({ length: 25 }, (_, i) => c(String(i).padStart(40, '0')));
    const p = pushPayload({ repo: 'r', ref: 'refs/heads/main', before: A, after: B }, many, { baseUrl: 'http://h/', defaultBranch: 'main' }) as { commits: { id: string }[] };
    expect(p.commits.map((x) => x.id)).toEqual(many.slice(5).map((x) => x.id));
  });
});

describe('signature256', () => {
  it("matches GitHub's documented example", () => {
    // docs.github.com, "Validating webhook deliveries": this secret and body give this signature.
    expect(signature256("It's a Secret to Everybody", 'Hello, World!')).toBe('sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17');
  });
});
