/**
 * The platform a Helm release installs, as constructs: the CRDs and admission policy, the operator
 * (Deployment, ServiceAccount, RBAC), a trust policy and the grant letting node pools read it. The
 * same constructs an EdgeCluster renders into gitops/, so the chart and the GitOps tree cannot drift.
 */
import { ApiObject, App, Chart } from 'cdk8s';
import { FlotillaCrds } from '../crds.ts';
import { grantTrustPolicyToNodes } from '../node-trust-grant.ts';
import { FlotillaSystem } from '../system.ts';
import type { FlotillaSystemProps } from '../system.ts';
import { trustPolicyConfigMap } from '../../policies/trust-policy.ts';
import type { NamedTrustPolicy } from '../../policies/trust-policy.ts';

/** One Kubernetes object as cdk8s renders it. */
export interface PlatformObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string };
  readonly [field: string]: unknown;
}

/** What a release decides: the system props, the trust policy and the pools allowed to read it. */
export interface PlatformProps {
  readonly system: FlotillaSystemProps;
  readonly trustPolicy: NamedTrustPolicy;
  readonly nodePools: readonly { readonly namespace: string; readonly name: string }[];
}

/** The platform's objects for `props`, in cdk8s order. */
export function platformObjects(props: PlatformProps): PlatformObject[] {
  const chart = new Chart(new App(), 'platform');
  new FlotillaCrds(chart, 'Crds');
  new FlotillaSystem(chart, 'System', props.system);
  new ApiObject(chart, 'TrustPolicy', trustPolicyConfigMap(props.trustPolicy, props.system.namespace) as never);
  grantTrustPolicyToNodes(chart, { policy: props.trustPolicy.name, systemNamespace: props.system.namespace, pools: props.nodePools });
  return chart.toJson() as PlatformObject[];
}
