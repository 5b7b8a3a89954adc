/**
 * Entry of an invocation worker thread (a separate V8 isolate). It keeps one ModuleInstances per
 * module it has been sent, runs one invocation at a time and resets the instance after replying,
 * so the reset is off the request path. A runaway invocation is stopped at its guest's next
 * deadline check once the main thread raises this worker's deadline flag (deadline.ts); only one
 * stuck in a host call past a grace period gets the whole worker terminated.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { NodeRuntimeError, toSerialized } from '../errors.ts';
import { DeadlineWatch } from './deadline.ts';
import { ModuleInstances, type LoadedModule } from './instances.ts';
import { ThreadCapabilities } from './link.ts';
import { callWagi } from './wagi-call.ts';
import type { FromWorker, InvokeMessage, ToWorker } from './protocol.ts';

const port = parentPort!;
const capabilities = new ThreadCapabilities();
const deadline = new DeadlineWatch((workerData as { deadline: SharedArrayBuffer }).deadline);
const modules = new Map<string, ModuleInstances>();
/** Modules being linked; a drop meanwhile deletes the id, so the linked module is not kept. */
const linking = new Set<string>();
/** Modules whose link failed: the pool sends a module once, so the next call links it again from here. */
const refused = new Map<string, LoadedModule>();

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

/** First invocation of a module in this worker: link it (capabilities may prepare asynchronously), then run. */
async function linkAndInvoke(msg: InvokeMessage): Promise<void> {
  const { moduleId } = msg;
  const loaded = msg.module ?? refused.get(moduleId);
  let instances: ModuleInstances;
  try {
    if (!loaded) throw new NodeRuntimeError('WorkerCrashed', `worker has no module ${moduleId} and none was sent`);
    linking.add(moduleId);
    instances = await ModuleInstances.create(loaded, capabilities, deadline.interrupt);
  } catch (err) {
    if (linking.delete(moduleId) && loaded) refused.set(moduleId, loaded);
    fail(msg, err, '');
    return;
  }
  refused.delete(moduleId);
  if (linking.delete(moduleId)) modules.set(moduleId, instances);
  invoke(msg, instances);
}

port.on('message', (msg: ToWorker) => {
  if (msg.type === 'drop') {
    modules.delete(msg.moduleId);
    linking.delete(msg.moduleId);
    refused.delete(msg.moduleId);
    return;
  }
  const instances = modules.get(msg.moduleId);
  if (instances) invoke(msg, instances);
  else void linkAndInvoke(msg);
});
