/**
 * A change to the local fleet's GitOps repo as a user makes it: edit the working copy, commit. The
 * fleet's git server sees the branch move and sends Argo CD a signed push webhook, so nothing else
 * is needed; `commitAndRefresh` also asks Argo CD through its API, the fallback for a caller that
 * must not depend on the webhook (one that reconfigured or stopped the git server).
 */
import { execFileSync } from 'node:child_process';
import { toolPath } from '../tools/paths.ts';
import { ArgoCdApi } from './argocd-api.ts';
import type { FleetState } from './state.ts';

/** Commits everything changed in the served working copy; returns the commit. */
export function commit(state: FleetState, message: string): string {
  if (!state.git) throw new Error('commit: expected a fleet with a git server in its state');
  const git = (args: readonly string[]): string =>
    execFileSync(toolPath('git'), args, { cwd: state.git?.repoDir, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 'flotilla', GIT_AUTHOR_EMAIL: 'up@flotilla.local', GIT_COMMITTER_NAME: 'flotilla', GIT_COMMITTER_EMAIL: 'up@flotilla.local' } });
  git(['add', '-A']);
  git(['commit', '-q', '-m', message]);
  return git(['rev-parse', 'HEAD']).trim();
}

/** Commits as `commit` does, then refreshes every Application through Argo CD's API; returns the commit. */
export async function commitAndRefresh(state: FleetState, message: string): Promise<string> {
  if (!state.argocd) throw new Error('commitAndRefresh: expected a fleet with Argo CD in its state');
  const sha = commit(state, message);
  const api = new ArgoCdApi(state.argocd.url, { username: state.argocd.username, password: state.argocd.password });
  for (const app of await api.applications()) await api.refresh(app.metadata.name);
  return sha;
}
