// The generated chart through the real helm (pinned, devenv/tools): lint clean, and `helm template`
// gives exactly the objects the platform constructs render for the same values.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { toolPath } from '../../devenv/tools/paths.ts';
import { writeRendered } from '../render.ts';
import { renderHelmChart } from './chart.ts';
import { platformObjects } from './platform.ts';
import type { PlatformObject } from './platform.ts';
import type { ChartValues } from './values.ts';

const COMMITTED = fileURLToPath(new URL('../../gitops/charts/flotilla', import.meta.url));
const KEY = '-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEp95/jE3ECWI28CnijwwOh2A3XYXg\nKgvjFWt1OFUNF4nZes9bMRGRVTI+gCm7+LTiUyBl4VPDvw7wEOmlt4OShQ==\n-----END PUBLIC KEY-----\n';
const DEFAULTS: ChartValues = {
  images: {
    registry: 'registry.example:5000',
    operator: { repository: 'flotilla/operator', digest: `sha256:${'1'.repeat(64)}` },
    nodeRuntime: { version: '0.1.0', repository: 'flotilla/node-runtime', digest: `sha256:${'2'.repeat(64)}` },
  },
  watchNamespace: '',
  logLevel: 'info',
  operator: { replicas: 2, hostNetwork: false, metricsPort: 9090 },
  trustPolicy: { name: 'flotilla-trust', keys: [], identities: [] },
  nodePools: [{ namespace: 'functions', name: 'default' }],
};

/** What the constructs render for `v`: the chart's meaning of each value. */
function expected(v: ChartValues, namespace: string): PlatformObject[] {
  const ref = (i: { repository: string; digest: string }) => `${v.images.registry}/${i.repository}@${i.digest}`;
  return platformObjects({
    system: {
      namespace,
      operatorImage: ref(v.images.operator),
      nodeRuntimeImages: { [v.images.nodeRuntime.version]: ref(v.images.nodeRuntime) },
      operatorReplicas: v.operator.replicas,
      ...(v.watchNamespace !== '' ? { watchNamespace: v.watchNamespace } : {}),
      logLevel: v.logLevel,
      hostNetwork: v.operator.hostNetwork,
      metricsPort: v.operator.metricsPort,
    },
    trustPolicy: v.trustPolicy,
    nodePools: v.nodePools,
  });
}

// Differences that carry no meaning: cdk8s's construct-path label, `hostNetwork: false` (the
// default), the trust policy's JSON layout (compared parsed) and the order of a RoleBinding's subjects.
interface Loose {
  kind: string;
  metadata: { name: string };
  spec?: { template?: { metadata?: { labels?: Record<string, string> }; spec?: { hostNetwork?: boolean } } };
  data?: Record<string, unknown>;
  subjects?: { name: string }[];
}

function normalize(objects: readonly PlatformObject[]): Loose[] {
  return objects
    .map((o) => {
      const c = structuredClone(o) as unknown as Loose;
      const pod = c.spec?.template;
      if (pod) {
        delete pod.metadata?.labels?.['cdk8s.io/metadata.addr'];
        if (pod.spec?.hostNetwork === false) delete pod.spec.hostNetwork;
      }
      if (c.kind === 'ConfigMap' && c.data) c.data['policy.json'] = JSON.parse(String(c.data['policy.json'])) as unknown;
      if (c.subjects) c.subjects = [...c.subjects].sort((a, b) => a.name.localeCompare(b.name));
      return c;
    })
    .sort((a, b) => `${a.kind}/${a.metadata.name}`.localeCompare(`${b.kind}/${b.metadata.name}`));
}

const helm = (args: string[]) => execa(toolPath('helm'), args, { reject: false, timeout: 120_000 });

describe('the flotilla Helm chart', () => {
  let dir: string;
  let chart: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flotilla-chart-'));
    await writeRendered(dir, renderHelmChart({ version: '0.1.0', defaults: DEFAULTS }).map((f) => ({ path: `flotilla/${f.path}`, content: f.content })));
    chart = join(dir, 'flotilla');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it.each([['generated here', () => chart], ['committed (gitops/charts/flotilla)', () => COMMITTED]])('%s: helm lint --strict finds nothing', async (_what, path) => {
    const r = await helm(['lint', '--strict', path()]);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('0 chart(s) failed');
    expect(r.stdout).not.toMatch(/\[(WARNING|ERROR)\]/);
  });

  const render = async (args: string[]): Promise<PlatformObject[]> => {
    const r = await helm(['template', 'flotilla', chart, '--namespace', 'edge-system', '--include-crds', ...args]);
    expect(r.exitCode, r.stderr).toBe(0);
    return parseAllDocuments(r.stdout).map((d) => d.toJS() as PlatformObject).filter((o) => o !== null);
  };

  it('with the defaults renders exactly what the constructs render', async () => {
    expect(normalize(await render([]))).toEqual(normalize(expected(DEFAULTS, 'edge-system')));
  });

  it('every value takes effect where the constructs put it', async () => {
    const v: ChartValues = {
      ...DEFAULTS,
      images: { registry: 'mirror.site:5001', operator: { repository: 'x/op', digest: `sha256:${'3'.repeat(64)}` }, nodeRuntime: { version: '0.2.0', repository: 'x/node', digest: `sha256:${'4'.repeat(64)}` } },
      watchNamespace: 'tenant-a',
      logLevel: 'warn',
      operator: { replicas: 1, hostNetwork: true, metricsPort: 19090 },
      trustPolicy: { name: 'site-trust', keys: [KEY], identities: [{ issuer: 'https://issuer.example', subjectRegExp: 'release@.*' }] },
      nodePools: [{ namespace: 'tenant-a', name: 'edge' }, { namespace: 'tenant-a', name: 'batch' }],
    };
    const dirValues = join(dir, 'values.json');
    await writeFile(dirValues, JSON.stringify(v));
    expect(normalize(await render(['-f', dirValues]))).toEqual(normalize(expected(v, 'edge-system')));
  });

  it('without node pools, renders no grant for them', async () => {
    const objects = await render(['--set-json', 'nodePools=[]']);
    expect(objects.map((o) => o.kind)).not.toContain('RoleBinding');
    expect(normalize(objects)).toEqual(normalize(expected({ ...DEFAULTS, nodePools: [] }, 'edge-system')));
  });

  it.each([
    [['--set', 'images.operator.digest=latest'], "at '/images/operator/digest': 'latest' does not match pattern"],
    [['--set', 'images.nodeRuntime.repository=Flotilla/Node'], "at '/images/nodeRuntime/repository'"],
    [['--set', 'logLevel=verbose'], "at '/logLevel'"],
    [['--set', 'operator.replicas=0'], "at '/operator/replicas'"],
    [['--set', 'watchNamespace=Not_A_Namespace'], "at '/watchNamespace'"],
    [['--set', 'trustPolicy.keys[0]=not-a-pem'], "at '/trustPolicy/keys/0'"],
    [['--set', 'imagePullPolicy=IfNotPresent'], "additional properties 'imagePullPolicy' not allowed"],
  ])('refuses %j, naming the value', async (args, message) => {
    const r = await helm(['template', 'flotilla', chart, ...args]);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toContain(message);
  });
});
