/**
 * The cluster side of the operator benchmark as real processes, as a cluster runs them: one
 * `flotilla operator` and `flotilla node --cluster` per node, each in its own process (so their
 * event loops are not the measuring one), logs in the harness's log directory.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startServer } from '../../devenv/servers/process.ts';
import type { RunningServer } from '../../devenv/servers/process.ts';

const MAIN = join(import.meta.dirname, '../../cli/main.ts');

/** Resolves the first match of `pattern` in a log file, or undefined while there is none. */
async function matchLog(file: string, pattern: RegExp): Promise<RegExpExecArray | undefined> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return pattern.exec(text) ?? undefined;
}

async function startCli(name: string, logDir: string, args: readonly string[], readyWhen: RegExp): Promise<{ server: RunningServer; match: RegExpExecArray }> {
  const logFile = join(logDir, `${name}.log`);
  const server = await startServer({
    name,
    command: process.execPath,
    args: [MAIN, ...args],
    logFile,
    ready: async () => (await matchLog(logFile, readyWhen)) !== undefined,
    timeoutMs: 30_000,
  });
  return { server, match: (await matchLog(logFile, readyWhen))! };
}

export interface OperatorOptions {
  readonly kubeconfig: string;
  /** Its leader Lease and the trust policy. */
  readonly systemNamespace: string;
  /** The pool it reconciles. */
  readonly watchNamespace: string;
  readonly logDir: string;
}

/** `flotilla operator`, ready once it serves metrics (it is then the leader and its informers synced). */
export async function startOperatorProcess(o: OperatorOptions): Promise<RunningServer> {
  const args = ['operator', '--kubeconfig', o.kubeconfig, '-n', o.systemNamespace, '--watch-namespace', o.watchNamespace, '--listen', '127.0.0.1:0', '--lease-duration', '3', '--log-level', 'warn'];
  return (await startCli('operator', o.logDir, args, /serving metrics on http:\/\/127\.0\.0\.1:\d+\/metrics/)).server;
}

export interface NodeOptions {
  readonly name: string;
  readonly kubeconfig: string;
  readonly poolNamespace: string;
  readonly trustNamespace: string;
  readonly runtime: string;
  /** Cache and state directories go under it. */
  readonly workDir: string;
  readonly logDir: string;
}

export interface NodeProcess {
  readonly name: string;
  readonly server: RunningServer;
  /** Where it serves HTTP. */
  readonly url: string;
}

/** `flotilla node --cluster`, ready once it listens (port picked by the OS). */
export async function startNodeProcess(o: NodeOptions): Promise<NodeProcess> {
  const args = [
    'node', '--cluster', '--runtime', o.runtime, '--namespace', o.poolNamespace, '--trust-namespace', o.trustNamespace,
    '--kubeconfig', o.kubeconfig, '--node-name', o.name, '--lease-seconds', '3', '--port', '0', '--admin-port', '0', '--workers', '1',
    '--cache-dir', join(o.workDir, o.name, 'cache'), '--state-dir', join(o.workDir, o.name, 'state'), '--log-level', 'info',
  ];
  const { server, match } = await startCli(`node-${o.name}`, o.logDir, args, /"url":"(http:\/\/127\.0\.0\.1:\d+)".*"msg":"Node runtime listening"/);
  return { name: o.name, server, url: match[1]! };
}
