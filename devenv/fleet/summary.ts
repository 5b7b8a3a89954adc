/** The closing summary of `flotilla up`: where everything is and what to try next. */
import type { FleetState } from './state.ts';

export function summary(state: FleetState): string {
  const lines: string[] = ['', 'Local fleet is up.', ''];
  if (state.argocd) {
    lines.push(`Argo CD API   ${state.argocd.url}   (login: ${state.argocd.username} / ${state.argocd.password})`);
    lines.push(`              argocd login ${state.argocd.url.replace(/^http:\/\//, '')} --plaintext --username ${state.argocd.username} --password ${state.argocd.password}`);
  }
  if (state.git) lines.push(`GitOps repo   ${state.git.url}   (working copy ${state.git.repoDir})`);
  if (state.registry) lines.push(`Registry      http://${state.registry.host}`);
  if (state.key) lines.push(`Signing key   ${state.key.privateKey} (trusted by the rendered policy: ${state.key.publicKey})`);
  for (const c of state.clusters ?? []) {
    lines.push('', `Cluster ${c.name}   kubeconfig ${c.kubeconfig}`);
    for (const f of c.functions) {
      // Every node of the pool answers: where the function runs, directly; elsewhere by forwarding to
      // such a node; scaled to zero, the first request starts it on the node that took it.
      const runsOn = f.placedOn ?? [];
      for (const n of c.nodes.filter((x) => x.pool === f.pool)) {
        const note = runsOn.length === 0 ? 'scaled to zero: the first request starts it' : runsOn.includes(n.name) ? 'runs here' : `forwards to ${runsOn.join(', ')}`;
        lines.push(`  ${f.name.padEnd(10)} curl -H 'Host: ${f.host}' ${n.url}${f.path}    (${n.name}, ${note})`);
      }
    }
  }
  lines.push('', 'Next:', '  flotilla status              clusters x functions (and the nodes each runs on now), from Argo CD and the clusters', `  kubectl --kubeconfig ${state.clusters?.[0]?.kubeconfig ?? '<kubeconfig>'} get wasmfunctions -n functions`);
  if (state.git) lines.push(`  cd ${state.git.repoDir} && git log        change gitops/, commit, and watch it roll out`);
  lines.push('  flotilla down                stop everything and remove the temp dirs', '');
  return lines.join('\n');
}
