/**
 * Shared pieces of the operator integration tests: a client for the harness apiserver, a quiet
 * logger, and a TCP proxy that can cut the connection (the one fault the real apiserver cannot
 * be asked to produce on demand: a network partition between one client and the server).
 */
import { createServer, connect } from 'node:net';
import type { Server, Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { kubeConfig } from '../../harness/index.ts';
import { createKubeClient } from '../../../kube/index.ts';
import type { KubeClient } from '../../../kube/index.ts';

export const quietLog = pino({ level: process.env['FLOTILLA_TEST_LOG'] ?? 'silent' });

export function client(kc: KubeConfig = kubeConfig()): KubeClient {
  return createKubeClient(kc);
}

/** A copy of the harness kubeconfig pointing at `server` (same CA, token and TLS name). */
export function kubeConfigVia(server: string): KubeConfig {
  const base = kubeConfig();
  const cluster = base.getCurrentCluster();
  const user = base.getCurrentUser();
  if (!cluster || !user) throw new Error('harness kubeconfig has no current cluster/user');
  const kc = new KubeConfig();
  kc.loadFromClusterAndUser({ ...cluster, server }, user);
  return kc;
}

export interface CuttableProxy {
  /** https://127.0.0.1:<port>, forwarding to the apiserver. */
  readonly url: string;
  /** Drops every open connection and refuses new ones until restore(). */
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

/** A TCP proxy to `target` (https://host:port) whose connectivity the test controls. */
export async function cuttableProxy(target: string): Promise<CuttableProxy> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<Socket>();
  let open = true;
  const server: Server = createServer((inbound) => {
    if (!open) {
      inbound.destroy();
      return;
    }
    const outbound = connect(Number(port), hostname);
    sockets.add(inbound);
    sockets.add(outbound);
    const drop = () => {
      inbound.destroy();
      outbound.destroy();
      sockets.delete(inbound);
      sockets.delete(outbound);
    };
    inbound.on('error', drop).on('close', drop);
    outbound.on('error', drop).on('close', drop);
    inbound.pipe(outbound).pipe(inbound);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    cut() {
      open = false;
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
    restore() {
      open = true;
    },
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Adapts a synchronous probe (state held in the test process) to waitFor. */
export function check<T>(probe: () => T | undefined): () => Promise<T | undefined> {
  return () => Promise.resolve(probe());
}
