/**
 * A node for the trigger tests and benchmark: the real engine (compile stage, worker pool, WASI/WAGI, flotilla:kv)
 * behind the narrow FunctionInvoker the triggers use, plus the EventRuntime and StateService.
 * The node runtime's own wiring (node-runtime/invoke) does the same with the desired state.
 */
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import type { FunctionTrigger } from '../../api/index.ts';
import { compileModule } from '../compile/compile.ts';
import type { LoadedModule } from '../engine/instances.ts';
import { WorkerPool } from '../engine/worker-pool.ts';
import { StateService } from '../state/service.ts';
import type { TickClaims } from '../triggers/cron/claims.ts';
import type { TriggerEvents } from '../triggers/definition.ts';
import type { EventInvocationMeta, EventOutcome, FunctionInvoker } from '../triggers/invoker.ts';
import { EventRuntime } from '../triggers/manager.ts';
import { cgiEnvironment } from '../wasi/wagi.ts';

export interface TestFunction {
  readonly wasm: string;
  readonly env?: Record<string, string>;
  readonly timeoutMs?: number;
  /** State binding: disk (default) or the cluster's NATS KV bucket. */
  readonly state?: 'disk' | 'nats';
}

export interface TestNodeConfig {
  readonly name: string;
  readonly natsUrl?: string;
  readonly diskRoot: string;
  readonly functions: Readonly<Record<string, TestFunction>>;
  readonly triggers?: readonly FunctionTrigger[];
  readonly events?: TriggerEvents;
  readonly tickClaims?: TickClaims;
  /** Called when an invocation starts (tests watch a node start work before killing it). */
  readonly onInvoke?: (functionKey: string) => void;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** Invokes functions on the engine, giving each invocation a span under the caller's trace. */
export class EngineInvoker implements FunctionInvoker {
  readonly calls: string[] = [];
  private readonly pool: WorkerPool;
  private readonly functions: ReadonlyMap<string, { loaded: LoadedModule; env: { name: string; value: string }[]; timeoutMs: number }>;

  private readonly onInvoke: ((functionKey: string) => void) | undefined;

  constructor(pool: WorkerPool, functions: EngineInvoker['functions'], onInvoke?: (functionKey: string) => void) {
    this.pool = pool;
    this.functions = functions;
    this.onInvoke = onInvoke;
  }

  async invoke(functionKey: string, payload: Uint8Array, meta: EventInvocationMeta): Promise<EventOutcome> {
    const m = TRACEPARENT.exec(meta.traceparent ?? '');
    const traceparent = `00-${m?.[1] ?? randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-${m?.[3] ?? '01'}`;
    const invocationId = randomUUID();
    const fn = this.functions.get(functionKey);
    this.calls.push(functionKey);
    this.onInvoke?.(functionKey);
    if (!fn) return { ok: false, invocationId, traceparent, error: { code: 'FunctionNotFound', message: `no function ${functionKey}` } };
    const deadlineMs = Math.min(Date.now() + fn.timeoutMs, meta.deadlineMs ?? Infinity);
    try {
      const env = cgiEnvironment(meta.request, { invocationId, deadlineMs, traceparent }, payload.length, fn.env);
      const r = await this.pool.run({ moduleId: functionKey, loaded: fn.loaded, call: { stdin: payload, env, maxResponseBytes: 1 << 20 }, deadlineMs, concurrency: 4 });
      return { ok: true, invocationId, traceparent, status: r.status, headers: r.headers, body: r.body };
    } catch (err) {
      const e = err as { code?: string; message: string };
      return { ok: false, invocationId, traceparent, error: { code: e.code ?? 'Trap', message: e.message } };
    }
  }
}

export interface TestNode {
  readonly name: string;
  readonly invoker: EngineInvoker;
  readonly events: EventRuntime;
  readonly state: StateService;
  close(): Promise<void>;
}

export async function startTestNode(config: TestNodeConfig): Promise<TestNode> {
  const logger = pino({ level: process.env['FLOTILLA_TEST_LOG'] ?? 'warn', base: { node: config.name } });
  const pool = new WorkerPool({ size: 2, queueLimit: 256 });
  const functions = new Map<string, { loaded: LoadedModule; env: { name: string; value: string }[]; timeoutMs: number }>();
  const invoker = new EngineInvoker(pool, functions, config.onInvoke);
  const events = await EventRuntime.start({ invoker, logger, nodeName: config.name, ...(config.natsUrl ? { natsUrl: config.natsUrl } : {}), ...(config.events ? { events: config.events } : {}), ...(config.tickClaims ? { tickClaims: config.tickClaims } : {}) });
  const state = new StateService({ diskRoot: config.diskRoot, ...(events.nats ? { nats: events.nats } : {}) });
  for (const [key, f] of Object.entries(config.functions)) {
    const { module, layout } = await compileModule(await readFile(f.wasm), 256, `function ${key}`);
    const loaded: LoadedModule = { name: key, digest: `file:${f.wasm}`, module, layout, reuse: false, capabilities: { wasi: { preopens: [] }, kv: state.bindingFor(key, f.state === 'nats') } };
    functions.set(key, { loaded, env: Object.entries(f.env ?? {}).map(([name, value]) => ({ name, value })), timeoutMs: f.timeoutMs ?? 5000 });
  }
  const problems = await events.apply(config.triggers ?? [], { timeouts: new Map([...functions].map(([k, v]) => [k, v.timeoutMs])) });
  if (problems.length) throw new Error(`triggers did not start: ${problems.map((p) => `${p.trigger}: ${p.error.message}`).join('; ')}`);
  return {
    name: config.name,
    invoker,
    events,
    state,
    async close() {
      await events.close();
      state.close();
      await pool.close();
    },
  };
}

/** A FunctionTrigger object as the API server would hold it (defaults applied). */
export function trigger(namespace: string, name: string, spec: Partial<FunctionTrigger['spec']> & Pick<FunctionTrigger['spec'], 'functionRef' | 'type'>): FunctionTrigger {
  return {
    apiVersion: 'flotilla.dev/v1alpha1',
    kind: 'FunctionTrigger',
    metadata: { name, namespace },
    spec: {
      retry: { maxAttempts: 3, backoff: { initialMs: 100, maxMs: 1000, multiplier: 2 } },
      concurrency: 1,
      filters: [],
      next: [],
      ...spec,
    },
  };
}

/** Calls a function directly with a body, as an HTTP POST would. */
export async function call(node: TestNode, functionKey: string, body: string): Promise<{ status: number; text: string }> {
  const out = await node.invoker.invoke(functionKey, new TextEncoder().encode(body), {
    trigger: 'test',
    request: { method: 'POST', path: '/', query: '', headers: {}, host: 'localhost', scheme: 'http', serverPort: 0, remoteAddr: '', matchedRoute: '/' },
  });
  if (!out.ok) throw new Error(`${out.error.code}: ${out.error.message}`);
  return { status: out.status, text: new TextDecoder().decode(out.body) };
}

/** Polls until `check` returns a value (not undefined) or the time is up. */
export async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000, what = 'condition'): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A trigger node in its own process (trigger-node-main.ts), for tests that kill a node mid-message. */
export interface NodeProcess {
  /** Resolves once the node's stdout has shown `text` (trigger-node-main.ts logs "ready" and each "invoke <fn>"). */
  waitForOutput(text: string, timeoutMs: number, what: string): Promise<void>;
  /** SIGKILL, no graceful shutdown: nothing acked, released or flushed. Resolves when it has exited. */
  kill(): Promise<void>;
}

/** Starts `config` as a separate node process and waits until it is ready. */
export async function startNodeProcess(config: TestNodeConfig): Promise<NodeProcess> {
  const child = spawn(process.execPath, [join(import.meta.dirname, 'trigger-node-main.ts'), JSON.stringify(config)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const node: NodeProcess = {
    async waitForOutput(text, timeoutMs, what) {
      await eventually(() => (out.includes(text) ? true : undefined), timeoutMs, what);
    },
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
  };
  try {
    await node.waitForOutput('ready', 30_000, `node ${config.name} to start`);
  } catch (err) {
    await node.kill();
    throw err;
  }
  return node;
}
