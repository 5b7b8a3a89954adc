/** Test helpers: a bare chart to put constructs in, and its rendered objects. */
import { Chart, Testing } from 'cdk8s';
import type { EdgeClusterProps } from './edge-cluster.ts';

/** A chart in namespace "functions" inside a fresh app. */
export function testChart(): Chart {
  return new Chart(Testing.app(), 'test', { namespace: 'functions' });
}

/** The objects a chart renders, as plain JSON. */
export function synthObjects(chart: Chart): Record<string, unknown>[] {
  return Testing.synth(chart) as Record<string, unknown>[];
}


const IMAGE = `r.example:5000/flotilla/x@sha256:${'cd'.repeat(32)}`;

/** A small cluster for chart tests. */
export const CLUSTER_PROPS: EdgeClusterProps = {
  name: 'test-edge',
  region: 'test-1',
  functionsNamespace: 'functions',
  images: { operator: IMAGE, nodeRuntime: { '0.1.0': IMAGE } },
  trustPolicy: { name: 'trust', keys: [], identities: [{ issuer: 'https://issuer.example', subject: 'me@example' }] },
  runtimes: { default: { version: '0.1.0', ceilings: { memoryPages: 512 } } },
  network: { registry: { cidr: '10.0.0.1/32', ports: [5000] }, apiServer: { cidr: '10.0.0.2/32', ports: [443] }, functionEgress: [] },
};

