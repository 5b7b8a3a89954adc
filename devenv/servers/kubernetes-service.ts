/**
 * The harness's stand-in for kube-proxy, for the one Service in-cluster clients need: the
 * `kubernetes` Service. kubelet tells every pod KUBERNETES_SERVICE_HOST=<its ClusterIP>, but the
 * harness runs no kube-proxy and its apiserver binds 127.0.0.1, so a DNAT rule in the host's nat
 * OUTPUT chain sends <ClusterIP>:443 to it. OUTPUT sees connections made in the host's network
 * namespace only: pods on hostNetwork reach the apiserver, pods on a pod network do not (their
 * packets come in through PREROUTING, and loopback is not routable from a bridge).
 */
import { randomBytes } from 'node:crypto';
import { execa } from 'execa';
import { toolPath } from '../tools/paths.ts';
import { SERVICE_IP } from './kube-apiserver.ts';
import { HarnessError } from './process.ts';
import { forgetRoute, recordRoute, removeStaleNodes } from './stale-nodes.ts';

/** Removes the rule. */
export type Unroute = () => Promise<void>;

/** Routes the `kubernetes` Service's ClusterIP:443 to `server` (https://127.0.0.1:<port>) for host-network processes. */
export async function routeKubernetesService(server: string): Promise<Unroute> {
  const url = new URL(server);
  if (url.hostname !== '127.0.0.1' || url.port === '') throw new HarnessError(`routeKubernetesService: expected https://127.0.0.1:<port>, got ${server}`);
  return routeClusterIp(SERVICE_IP, 443, `127.0.0.1:${url.port}`);
}

/** Routes `<clusterIp>:<port>` to `to` (`ip:port`, e.g. a pod's) for host-network processes: one Service's worth of kube-proxy. */
export async function routeClusterIp(clusterIp: string, port: number, to: string): Promise<Unroute> {
  // A comment of its own: concurrent runs each add and remove exactly their rule.
  const comment = `flotilla-harness-${randomBytes(4).toString('hex')}`;
  const rule = ['-d', `${clusterIp}/32`, '-p', 'tcp', '--dport', String(port), '-m', 'comment', '--comment', comment, '-j', 'DNAT', '--to-destination', to];
  // Rules of runs killed before their unroute would otherwise stay, and shadow nothing but confuse the next reader of the table.
  await removeStaleNodes();
  recordRoute(comment, rule);
  await execa(toolPath('iptables'), ['-w', '-t', 'nat', '-I', 'OUTPUT', ...rule]);
  return async () => {
    await execa(toolPath('iptables'), ['-w', '-t', 'nat', '-D', 'OUTPUT', ...rule]);
    forgetRoute(comment);
  };
}
