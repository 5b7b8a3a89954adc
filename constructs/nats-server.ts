/**
 * How the cluster's nats-server runs: its ports, its JetStream store directory and its arguments.
 * One source for the StatefulSet (constructs/nats.ts) and the image's default command
 * (devenv/images/nats-layer.ts), so the image run bare and the pod run the same server. No cdk8s
 * here: the image build loads this file alone.
 */

/** Client port: the Service's and the node runtimes' `--nats-url`. */
export const NATS_CLIENT_PORT = 4222;

/** Monitoring port: /healthz for the probes. */
export const NATS_MONITOR_PORT = 8222;

/** The JetStream store: the pod's emptyDir mounts here; the image has it as a directory owned by 65532. */
export const NATS_STORE_DIR = '/data';

/** nats-server's arguments: JetStream on, its store, both ports. */
export const NATS_ARGS: readonly string[] = ['--jetstream', '--store_dir', NATS_STORE_DIR, '--port', String(NATS_CLIENT_PORT), '--http_port', String(NATS_MONITOR_PORT)];
