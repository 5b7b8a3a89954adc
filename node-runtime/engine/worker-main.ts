/**
 * Entry of a thread of the pool (a separate V8 isolate), in one of two roles the pool gives it by
 * the messages it sends. A pool worker keeps one ModuleInstances per module it has been sent,
 * runs one invocation at a time and resets the instance after replying, so the reset is off the
 * request path. A runaway invocation is stopped at its guest's next deadline check once the main
 * thread raises this worker's deadline flag (deadline.ts); only one stuck in a host call past a
 * grace period gets the whole worker terminated. A listener, told to listen, serves the tenant
 * port itself (http/inline.ts) and is never sent an invocation.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { NodeRuntimeError, toSerialized } from '../errors.ts';
import { DeadlineWatch } from './deadline.ts';
import { ModuleInstances, type LoadedModule } from './instances.ts';
import { ThreadCapabilities } from './link.ts';
import { callWagi } from './wagi-call.ts';
import { INLINE_BUDGET_MS, InlineListener } from '../http/inline.ts';
import type { FromWorker, InlineFunction, InvokeMessage, ToWorker, WorkerData } from './protocol.ts';
import { SlowMarks } from './slow-marks.ts';

const port = parentPort!;
const capabilities = new ThreadCapabilities();
const data = workerData as WorkerData;
const deadline = new DeadlineWatch(data.deadline);
const modules = new Map<string, ModuleInstances>();
/** Modules being linked; a drop meanwhile deletes the id, so the linked module is not kept. */
const linking = new Set<string>();
/** Every module sent here (the pool sends one once, in an invocation or a table), until dropped: what a later or failed link starts from. */
const sent = new Map<string, LoadedModule>();
/** The tenant listener, once the pool said to listen. */
let listener: InlineListener | undefined;
/**
 * Modules a listener links as soon as a table brings them, at most: a node restarted with ten
 * thousand functions links the rest on first use, as before, instead of holding them all linked.
 */
const PRELINK_PER_TABLE = 64;
/** The deadline id of a pre-instantiation: below every id an inline run takes (they wrap at -0x7fff_ffff). */
const PREINSTANTIATE_ID = -0x8000_0000;
/** Inline counts are reported at least this often (a scrape asks for them too). */
const COUNTS_EVERY_MS = 1000;

function liveInstances(): number {
  let n = 0;
  for (const m of modules.values()) n += m.count;
  return n;
}

function fail(msg: InvokeMessage, err: unknown, stderr: string): void {
  const error = err instanceof NodeRuntimeError ? toSerialized(err) : { code: 'Trap' as const, message: `worker failed: ${String(err)}` };
  const reply: FromWorker = { type: 'done', id: msg.id, ok: false, error, stderr, instances: liveInstances() };
  port.postMessage(reply);
}

/** Runs one invocation on linked instances, replies, then resets the instance (off the request path). */
function invoke(msg: InvokeMessage, instances: ModuleInstances): void {
  let stderr = '';
  deadline.begin(msg.id);
  try {
    const call = { stdin: msg.stdin, env: msg.envBlock === '' ? [] : msg.envBlock.split('\0'), maxResponseBytes: msg.maxResponseBytes };
    const out = callWagi(instances, call, (e) => { stderr = e; });
    const reply: FromWorker = {
      type: 'done', id: msg.id, ok: true, status: out.response.status, headers: out.response.headers, body: out.response.body,
      cold: out.cold, initMicros: out.initMicros, stderr: out.stderr, instances: liveInstances(),
    };
    port.postMessage(reply, [out.response.body.buffer as ArrayBuffer]);
  } catch (err) {
    fail(msg, err, stderr);
  } finally {
    deadline.end();
  }
  try {
    instances.recycle();
  } catch {
    // A failed re-instantiation resurfaces as the next invocation's error; drop the instances.
    modules.delete(msg.moduleId);
  }
}

/** Links a module sent here (capabilities may prepare asynchronously) and keeps its instances unless it was dropped meanwhile. */
async function link(moduleId: string): Promise<ModuleInstances> {
  const loaded = sent.get(moduleId);
  if (!loaded) throw new NodeRuntimeError('WorkerCrashed', `worker has no module ${moduleId} and none was sent`);
  linking.add(moduleId);
  try {
    const instances = await ModuleInstances.create(loaded, capabilities, deadline.interrupt);
    if (linking.has(moduleId)) modules.set(moduleId, instances);
    return instances;
  } finally {
    linking.delete(moduleId);
  }
}

/**
 * A listener's instance of a module just linked, made before any request wants it. Its start
 * section runs under the inline budget, watched like an inline run (stopped at a deadline check,
 * the listener replaced if stuck in a host call): never outside a deadline. A failure or a
 * timeout leaves no instance; the first request then instantiates under its own deadline.
 */
function preinstantiate(moduleId: string, instances: ModuleInstances): void {
  if (modules.get(moduleId) !== instances) return;
  deadline.beginInline(PREINSTANTIATE_ID, Date.now() + INLINE_BUDGET_MS);
  try {
    instances.prepare();
  } catch {
    instances.drop();
  } finally {
    deadline.end();
  }
}

/** First invocation of a module in this worker: link it, then run. */
async function linkAndInvoke(msg: InvokeMessage): Promise<void> {
  let instances: ModuleInstances;
  try {
    instances = await link(msg.moduleId);
  } catch (err) {
    fail(msg, err, '');
    return;
  }
  invoke(msg, instances);
}

const engine = {
  instances(fn: InlineFunction): ModuleInstances | undefined {
    const instances = modules.get(fn.moduleId);
    // Not linked here yet: this request goes the slow way, the next ones run inline.
    if (!instances && !linking.has(fn.moduleId)) link(fn.moduleId).catch(() => undefined);
    return instances;
  },
  recycle(fn: InlineFunction, instances: ModuleInstances): void {
    try {
      instances.recycle();
    } catch {
      modules.delete(fn.moduleId);
    }
  },
  deadline,
  counters: new Int32Array(data.counters),
  slow: new SlowMarks(data.slow, data.slowEpochMs),
  freed: () => port.postMessage({ type: 'freed' } satisfies FromWorker),
};

const EMPTY_COUNTS = { http: {}, invocations: [], durations: [], coldStarts: [], inline: 0, interrupted: 0, failures: [], slowMarked: [], handoffs: {} };

/** Reports the inline counts: periodically (id 0) only when there are some, to a flush always. */
function reportCounts(id: number): void {
  const counts = listener?.take();
  if (counts === undefined && id === 0) return;
  port.postMessage({ type: 'counts', id, counts: counts ?? EMPTY_COUNTS } satisfies FromWorker);
}

function control(msg: Exclude<ToWorker, InvokeMessage>): void {
  switch (msg.type) {
    case 'drop':
      modules.delete(msg.moduleId);
      linking.delete(msg.moduleId);
      sent.delete(msg.moduleId);
      return;
    case 'table': {
      let prelinks = 0;
      for (const f of msg.functions) {
        if (!f.module) continue;
        sent.set(f.moduleId, f.module);
        // Linked and instantiated now rather than by its first request, which would otherwise go
        // the slow way (a re-wake's first answer through the main thread and the pool) and pay
        // the instantiation.
        if (listener && prelinks < PRELINK_PER_TABLE && !modules.has(f.moduleId) && !linking.has(f.moduleId)) {
          prelinks++;
          link(f.moduleId).then((instances) => preinstantiate(f.moduleId, instances), () => undefined);
        }
      }
      listener?.update(msg.routes, msg.functions);
      return;
    }
    case 'listen': {
      const l = new InlineListener(msg.tenant, engine);
      listener = l;
      l.listen().then(
        () => port.postMessage({ type: 'listening' } satisfies FromWorker),
        (err: unknown) => port.postMessage({ type: 'listening', error: err instanceof Error ? err.message : String(err) } satisfies FromWorker),
      );
      setInterval(() => reportCounts(0), COUNTS_EVERY_MS).unref();
      return;
    }
    case 'flush':
      reportCounts(msg.id);
      return;
    case 'drain':
      if (listener === undefined) port.postMessage({ type: 'drained', inTime: true } satisfies FromWorker);
      else void listener.drain(msg.graceMs).then((inTime) => port.postMessage({ type: 'drained', inTime } satisfies FromWorker));
      return;
  }
}

port.on('message', (msg: ToWorker) => {
  if (msg.type !== 'invoke') {
    control(msg);
    return;
  }
  if (msg.module) sent.set(msg.moduleId, msg.module);
  const instances = modules.get(msg.moduleId);
  if (instances) invoke(msg, instances);
  else void linkAndInvoke(msg);
});
