/**
 * gitops/argocd/: what the management Argo CD needs to sync the fleet: an AppProject limited to our
 * repository and kinds, an ApplicationSet with one Application per gitops/clusters/<cluster>/
 * directory (automated sync, prune, self-heal, server-side apply), and our health checks in argocd-cm.
 */
import { ApiObject, Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import type { RenderTarget } from '../render.ts';
import { healthCustomizations } from './health-checks.ts';

export interface ArgoCdProps {
  /** Git URL of this repository, as Argo CD reaches it. */
  readonly repoURL: string;
  /** Branch, tag or commit to follow.
   * @default "main" */
  readonly revision?: string;
  /** Namespace Argo CD runs in.
   * @default "argocd" */
  readonly namespace?: string;
  /** Where clusters are found: by Argo CD cluster name equal to the directory name, or all on one server.
   * @default { byName: true } */
  readonly destination?: { readonly byName: true } | { readonly server: string };
  /** Path of the rendered clusters in the repository.
   * @default "gitops/clusters" */
  readonly clustersPath?: string;
}

const PROJECT = 'flotilla';

/** The Argo CD objects of the fleet. */
export class ArgoCdChart extends Chart implements RenderTarget {
  readonly outputDir = 'argocd';

  constructor(scope: Construct, id: string, props: ArgoCdProps) {
    const ns = props.namespace ?? 'argocd';
    super(scope, id, { namespace: ns });
    const revision = props.revision ?? 'main';
    const clustersPath = props.clustersPath ?? 'gitops/clusters';
    const destination = props.destination ?? { byName: true };

    new ApiObject(this, 'Project', {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'AppProject',
      metadata: { name: PROJECT },
      spec: {
        description: 'Flotilla edge clusters, rendered from clusters/*.ts',
        sourceRepos: [props.repoURL],
        destinations: [{ ...('server' in destination ? { server: destination.server } : { name: '*' }), namespace: '*' }],
        clusterResourceWhitelist: [
          { group: '', kind: 'Namespace' },
          { group: 'apiextensions.k8s.io', kind: 'CustomResourceDefinition' },
          { group: 'admissionregistration.k8s.io', kind: 'ValidatingAdmissionPolicy' },
          { group: 'admissionregistration.k8s.io', kind: 'ValidatingAdmissionPolicyBinding' },
          { group: 'rbac.authorization.k8s.io', kind: 'ClusterRole' },
          { group: 'rbac.authorization.k8s.io', kind: 'ClusterRoleBinding' },
          { group: 'kyverno.io', kind: 'ClusterPolicy' },
        ],
        namespaceResourceWhitelist: [{ group: '*', kind: '*' }],
        orphanedResources: { warn: true },
      },
    });

    new ApiObject(this, 'ApplicationSet', {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'ApplicationSet',
      metadata: { name: 'flotilla-clusters' },
      spec: {
        goTemplate: true,
        goTemplateOptions: ['missingkey=error'],
        generators: [{ git: { repoURL: props.repoURL, revision, directories: [{ path: `${clustersPath}/*` }] } }],
        template: {
          metadata: { name: 'flotilla-{{.path.basename}}', labels: { 'flotilla.dev/cluster': '{{.path.basename}}' } },
          spec: {
            project: PROJECT,
            source: { repoURL: props.repoURL, targetRevision: revision, path: '{{.path.path}}' },
            destination: { ...('server' in destination ? { server: destination.server } : { name: '{{.path.basename}}' }), namespace: 'flotilla-system' },
            syncPolicy: {
              automated: { prune: true, selfHeal: true },
              // ApplyOutOfSyncOnly: a commit applies what it changed, so it walks only the waves it
              // touches (a digest bump: one), not all of them; ordering within those waves holds.
              syncOptions: ['ServerSideApply=true', 'PruneLast=true', 'ApplyOutOfSyncOnly=true'],
              retry: { limit: 5, backoff: { duration: '5s', factor: 2, maxDuration: '3m' } },
            },
          },
        },
      },
    });

    new ApiObject(this, 'Config', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'argocd-cm', labels: { 'app.kubernetes.io/name': 'argocd-cm', 'app.kubernetes.io/part-of': 'argocd' } },
      data: healthCustomizations(),
    });
  }
}
