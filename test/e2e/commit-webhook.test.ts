/**
 * A commit in the working copy `flotilla up` prints is all a user does: the fleet's git server sees
 * the branch move and sends Argo CD a signed GitHub-style push webhook, and the new digest is served
 * on every node of both clusters. Nothing here refreshes Argo CD: before the webhook, such a commit
 * waited for Argo CD's 3-minute poll.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commit } from '../../devenv/fleet/commit.ts';
import { getWithHost } from '../../devenv/fleet/http-probe.ts';
import { nodesServing, pointEchoAt, pushEcho } from '../../devenv/fixtures/fleet.ts';
import { waitFor } from '../harness/index.ts';
import { useFleet } from './fleet-fixture.ts';

/** Argo CD's poll in the local fleet (supervisor.ts, reconcileSeconds). */
const POLL_MS = 180_000;

describe('a commit in the working copy, with no refresh from anyone', () => {
  const up = useFleet();

  it('reaches Argo CD through the push webhook and is served by every node of every cluster', async () => {
    const { repository, digest } = await pushEcho(up.state, true);
    const targets = (await Promise.all((up.state.clusters ?? []).map((c) => nodesServing(c, 'echo', { all: true })))).flat();
    expect(targets.length, "nodes of echo's pool in both clusters").toBe(4);

    await pointEchoAt(up.state, `${repository}@${digest}`);
    const t = performance.now();
    const sha = commit(up.state, `echo -> ${digest}`);
    // Half the poll: served within it means something other than the poll told Argo CD.
    for (const target of targets) {
      await waitFor(
        async () => ((await getWithHost(`${target.url}/`, target.host, 2000)).headers['x-flotilla-digest'] === digest ? true : undefined),
        { what: `${target.node} to serve echo at ${digest} (commit ${sha.slice(0, 8)}) before Argo CD's poll`, timeoutMs: POLL_MS / 2, intervalMs: 100 },
      );
    }
    process.stderr.write(`commit -> new digest served on every node of both clusters, webhook only: ${((performance.now() - t) / 1000).toFixed(1)} s\n`);

    // And it was the webhook: the git server delivered the push, argocd-server took it for our repo.
    const gitLog = readFileSync(join(up.state.logDir, 'git-server.log'), 'utf8');
    expect(gitLog).toMatch(new RegExp(`push fleet refs/heads/main [0-9a-f]{8}\\.\\.${sha.slice(0, 8)}: 1 webhook\\(s\\)`));
    expect(gitLog).toMatch(/webhook \S+ to http:\/\/127\.0\.0\.1:\d+\/api\/webhook: 200 in/);
    const serverLog = readFileSync(join(up.state.logDir, 'argocd', 'logs', 'argocd-server.log'), 'utf8');
    expect(serverLog).toContain(`Received push event repo: ${up.state.git?.url ?? '?'}, revision: main, touchedHead: true`);
  });

  it('refuses a push webhook that is not signed with the shared secret', async () => {
    const url = `${up.state.argocd?.url ?? ''}/api/webhook`;
    const body = JSON.stringify({ ref: 'refs/heads/main', repository: { html_url: up.state.git?.url, default_branch: 'main' }, commits: [] });
    const headers = { 'content-type': 'application/json', 'x-github-event': 'push' };
    const unsigned = await fetch(url, { method: 'POST', headers, body });
    const forged = await fetch(url, { method: 'POST', headers: { ...headers, 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` }, body });
    // go-playground/webhooks answers a missing or wrong X-Hub-Signature-256 with an error, which
    // argocd-server turns into a 4xx; a 200 would mean anyone on the network can trigger syncs.
    const refused = (s: number): boolean => s >= 400 && s < 500;
    expect({ unsigned: refused(unsigned.status), forged: refused(forged.status) }, `statuses ${unsigned.status}, ${forged.status}`).toEqual({ unsigned: true, forged: true });
  });
});
