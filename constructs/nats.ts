/**
 * The cluster's own NATS (JetStream), for clusters whose functions need one: `state.store: nats`
 * (shared state), chaining and cron claims across nodes. One server, a StatefulSet of one in the
 * system namespace with a ClusterIP Service. Its JetStream store is an emptyDir: it survives a
 * container restart, not the pod moving to another node (edge clusters often have no storage
 * provisioner, and a hostPath would not be writable by the non-root user); where a provisioner
 * exists, a volumeClaimTemplate is the next step. The image is the one pinned in clusters/images.json (`nats`), Debian's
 * nats-server, built by the image build. Only node runtimes may reach it (policies/network-policies.ts).
 */
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { pinnedDigest } from '../api/index.ts';
import { NATS_ARGS, NATS_CLIENT_PORT, NATS_MONITOR_PORT, NATS_STORE_DIR } from './nats-server.ts';

export const NATS_NAME = 'flotilla-nats';
export const NATS_LABELS: Readonly<Record<string, string>> = { 'app.kubernetes.io/name': NATS_NAME, 'app.kubernetes.io/part-of': 'flotilla' };

export interface FlotillaNatsProps {
  readonly namespace: string;
  /** nats-server image, pinned by digest. */
  readonly image: string;
}

/** NATS with JetStream for one cluster; `url` is what its WasmRuntimes pass their nodes (`--nats-url`). */
export class FlotillaNats extends Construct {
  readonly url: string;

  constructor(scope: Construct, id: string, props: FlotillaNatsProps) {
    super(scope, id);
    if (pinnedDigest(props.image) === undefined) throw new Error(`FlotillaNats image: expected an image pinned by @sha256:<64 hex>, got ${JSON.stringify(props.image)}`);
    const metadata = { name: NATS_NAME, namespace: props.namespace, labels: { ...NATS_LABELS } };
    this.url = `nats://${NATS_NAME}.${props.namespace}.svc:${NATS_CLIENT_PORT}`;
    new ApiObject(this, 'Service', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata,
      spec: { selector: { ...NATS_LABELS }, ports: [{ name: 'client', port: NATS_CLIENT_PORT, targetPort: 'client', protocol: 'TCP' }] },
    });
    new ApiObject(this, 'StatefulSet', {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata,
      spec: {
        serviceName: NATS_NAME,
        replicas: 1,
        selector: { matchLabels: { ...NATS_LABELS } },
        template: {
          metadata: { labels: { ...NATS_LABELS } },
          spec: {
            automountServiceAccountToken: false,
            // nats-server 2.9.10 shuts down at once on SIGTERM (JetStream flushed, exit 1; the runc test sees it), no lame-duck drain: the grace is headroom for that flush.
            terminationGracePeriodSeconds: 60,
            containers: [
              {
                name: 'nats',
                image: props.image,
                // The image's Cmd is the same (devenv/images/nats-layer.ts); spelled out so the manifest says what runs.
                args: [...NATS_ARGS],
                ports: [{ name: 'client', containerPort: NATS_CLIENT_PORT }, { name: 'monitor', containerPort: NATS_MONITOR_PORT }],
                readinessProbe: { httpGet: { path: '/healthz?js-enabled-only=true', port: 'monitor' } },
                livenessProbe: { httpGet: { path: '/healthz', port: 'monitor' } },
                resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '500m', memory: '512Mi' } },
                volumeMounts: [{ name: 'data', mountPath: NATS_STORE_DIR }],
                securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, capabilities: { drop: ['ALL'] } },
              },
            ],
            securityContext: { fsGroup: 65532 },
            volumes: [{ name: 'data', emptyDir: { sizeLimit: '1Gi' } }],
          },
        },
      },
    });
  }
}
