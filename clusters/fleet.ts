/** The fleet: every edge cluster plus the Argo CD wiring that syncs them. */
import { App } from 'cdk8s';
import { ArgoCdChart } from '../constructs/index.ts';
import type { ArgoCdProps } from '../constructs/index.ts';
import { edgeCluster } from './base.ts';
import type { FleetInputs } from './base.ts';
import { EDGE_AP_SOUTH } from './edge-ap-south.ts';
import { EDGE_EU_WEST } from './edge-eu-west.ts';
import { EDGE_US_EAST } from './edge-us-east.ts';

/** The clusters of the fleet, in render order. */
export const CLUSTERS = [EDGE_EU_WEST, EDGE_US_EAST, EDGE_AP_SOUTH];

/** Where Argo CD finds this repository. Change it when the repository moves. */
export const FLEET_REPO: ArgoCdProps = { repoURL: 'https://git.flotilla.example/flotilla/fleet.git', revision: 'main' };

/**
 * Declares the whole fleet in a new app. With no inputs it is the committed fleet (`npm run synth`);
 * `flotilla up` passes its own registry's digests, its generated key, its git URL and a subset of
 * clusters to render a local fleet from the same code.
 */
export function buildFleet(inputs: FleetInputs & { readonly argocd?: ArgoCdProps; readonly clusters?: readonly string[] } = {}): App {
  const app = new App({ outdir: 'unused' });
  const unknown = (inputs.clusters ?? []).filter((n) => !CLUSTERS.some((c) => c.name === n));
  if (unknown.length > 0) throw new Error(`buildFleet: clusters ${unknown.join(', ')}: expected names from ${CLUSTERS.map((c) => c.name).join(', ')}`);
  for (const c of CLUSTERS) if (inputs.clusters?.includes(c.name) ?? true) edgeCluster(app, c, inputs);
  new ArgoCdChart(app, 'argocd', inputs.argocd ?? FLEET_REPO);
  return app;
}
