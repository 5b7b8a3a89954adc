/** The fleet: every edge cluster plus the Argo CD wiring that syncs them. */
import { App } from 'cdk8s';
import { ArgoCdChart } from '../constructs/index.ts';
import type { ArgoCdProps } from '../constructs/index.ts';
import { edgeCluster } from './base.ts';
import { EDGE_AP_SOUTH } from './edge-ap-south.ts';
import { EDGE_EU_WEST } from './edge-eu-west.ts';
import { EDGE_US_EAST } from './edge-us-east.ts';

/** The clusters of the fleet, in render order. */
export const CLUSTERS = [EDGE_EU_WEST, EDGE_US_EAST, EDGE_AP_SOUTH];

/** Where Argo CD finds this repository. Change it when the repository moves. */
export const FLEET_REPO: ArgoCdProps = { repoURL: 'https://git.flotilla.example/flotilla/fleet.git', revision: 'main' };

/** Declares the whole fleet in a new app. */
export function buildFleet(argocd: ArgoCdProps = FLEET_REPO): App {
  const app = new App({ outdir: 'unused' });
  for (const c of CLUSTERS) edgeCluster(app, c);
  new ArgoCdChart(app, 'argocd', argocd);
  return app;
}
