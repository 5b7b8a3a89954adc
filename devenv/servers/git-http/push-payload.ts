/**
 * The push webhook a Git host sends, in GitHub's shape (the one Argo CD, Flux and most CI read):
 * built from a ref update and the files each commit touched, signed with the shared secret as
 * GitHub does (X-Hub-Signature-256: HMAC-SHA256 of the body, hex).
 */
import { createHmac } from 'node:crypto';

/** One branch moved from `before` to `after` (40 zeros: the branch is new). */
export interface RefUpdate {
  readonly repo: string;
  readonly ref: string;
  readonly before: string;
  readonly after: string;
}

/** A commit of the push with the paths it added, modified and removed. */
export interface PushedCommit {
  readonly id: string;
  readonly message: string;
  readonly added: readonly string[];
  readonly modified: readonly string[];
  readonly removed: readonly string[];
}

/** GitHub caps a push event's commit list at 20; receivers that need more read the repo. */
export const MAX_COMMITS = 20;

/**
 * The body of a GitHub `push` event. Argo CD matches `repository.html_url` against each
 * Application's repoURL (scheme, host, port and path; `.git` optional), compares `ref` with its
 * targetRevision, and `default_branch` tells it whether HEAD moved.
 */
export function pushPayload(update: RefUpdate, commits: readonly PushedCommit[], opts: { readonly baseUrl: string; readonly defaultBranch: string }): object {
  const htmlUrl = new URL(update.repo, opts.baseUrl).toString();
  const listed = commits.slice(-MAX_COMMITS);
  return {
    ref: update.ref,
    before: update.before,
    after: update.after,
    created: /^0+$/.test(update.before),
    deleted: /^0+$/.test(update.after),
    forced: false,
    commits: listed.map((c) => ({ id: c.id, message: c.message, added: c.added, modified: c.modified, removed: c.removed })),
    head_commit: listed.at(-1) ?? null,
    repository: { name: update.repo, full_name: `flotilla/${update.repo}`, html_url: htmlUrl, clone_url: htmlUrl, default_branch: opts.defaultBranch },
    pusher: { name: 'flotilla' },
  };
}

/** The X-Hub-Signature-256 value for `body` under `secret`. */
export function signature256(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}
