/**
 * A change to the local fleet's GitOps repo as a user makes it: edit the working copy, commit, then
 * ask Argo CD to refresh every Application through its API (its webhook matches repository URLs
 * against repoURL, which a git:// daemon's push cannot feed), so the commit does not wait for the poll.
 */
import { execFileSync } from 'node:child_process';
import { toolPath } from '../tools/paths.ts';
import { ArgoCdApi } from './argocd-api.ts';
import type { FleetState } from './state.ts';

/** Commits everything changed in the served working copy and refreshes every Application; returns the commit. */
export async function commitAndRefresh(state: FleetState, message: string): Promise<string> {
  if (!state.git || !state.argocd) throw new Error('commitAndRefresh: expected a fleet with a git server and Argo CD in its state');
  const git = (args: readonly string[]): string =>
    execFileSync(toolPath('git'), args, { cwd: state.git?.repoDir, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 'flotilla', GIT_AUTHOR_EMAIL: 'up@flotilla.local', GIT_COMMITTER_NAME: 'flotilla', GIT_COMMITTER_EMAIL: 'up@flotilla.local' } });
  git(['add', '-A']);
  git(['commit', '-q', '-m', message]);
  const sha = git(['rev-parse', 'HEAD']).trim();
  const api = new ArgoCdApi(state.argocd.url, { username: state.argocd.username, password: state.argocd.password });
  for (const app of await api.applications()) await api.refresh(app.metadata.name);
  return sha;
}
