/**
 * A harness run that is killed: starts one kube node, a pod on it and a nat rule, prints `ready`
 * and waits to be SIGKILLed, so its containers, shims, daemons, cgroups, mounts, bridge and rule
 * are left for the next run's cleanup (test/e2e/stale-nodes.test.ts). Harness from FLOTILLA_HARNESS.
 */
import { startKubeNodes } from '../../../devenv/servers/kube-node.ts';
import { routeClusterIp } from '../../../devenv/servers/kubernetes-service.ts';
import type { HarnessInfo } from '../../../devenv/servers/types.ts';
import { waitFor } from '../../../devenv/servers/wait.ts';
import { createKubeClient, loadKubeConfigFile } from '../../../kube/index.ts';

const info = JSON.parse(process.env['FLOTILLA_HARNESS'] ?? '') as HarnessInfo;
const name = process.argv[2] ?? '';
const client = createKubeClient(loadKubeConfigFile(info.kube.kubeconfig));
const cluster = await startKubeNodes({ baseDir: info.workDir, logDir: info.logDir, api: info.kube, registry: info.registry.host, nodes: [{ name }] });
// An address no Service uses: the rule only has to exist.
await routeClusterIp('10.96.255.254', 4222, '127.0.0.1:9');
await client.request({
  method: 'POST',
  path: '/api/v1/namespaces/default/pods',
  body: { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { nodeName: name, automountServiceAccountToken: false, enableServiceLinks: false, dnsPolicy: 'Default', containers: [{ name: 'pause', image: cluster.sandboxImage }] } },
});
await waitFor(async () => ((await client.request<{ status?: { phase?: string } }>({ method: 'GET', path: `/api/v1/namespaces/default/pods/${name}` })).status?.phase === 'Running' ? true : undefined), { what: `pod ${name} Running`, timeoutMs: 180_000 });
process.stdout.write('ready\n');
setInterval(() => undefined, 60_000);
