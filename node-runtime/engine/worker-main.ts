/**
 * Entry of an invocation worker thread (a separate V8 isolate). It keeps one ModuleInstances per
 * module it has been sent, runs one invocation at a time and resets the instance after replying,
 * so the reset is off the request path. A runaway invocation is stopped by the main thread
 * terminating this whole worker.
 */
import { parentPort } from 'node:worker_threads';
import { NodeRuntimeError, toSerialized } from '../errors.ts';
import { ModuleInstances } from './instances.ts';
import { callWagi } from './wagi-call.ts';
import type { FromWorker, ToWorker } from './protocol.ts';

const port = parentPort!;
const modules = new Map<string, ModuleInstances>();

function liveInstances(): number {
  let n = 0;
  for (const m of modules.values()) n += m.count;
  return n;
}

port.on('message', (msg: ToWorker) => {
  if (msg.type === 'drop') {
    modules.delete(msg.moduleId);
    return;
  }
  let instances = modules.get(msg.moduleId);
  let stderr = '';
  try {
    if (!instances) {
      if (!msg.module) throw new NodeRuntimeError('WorkerCrashed', `worker has no module ${msg.moduleId} and none was sent`);
      instances = new ModuleInstances(msg.module);
      modules.set(msg.moduleId, instances);
    }
    const call = { stdin: msg.stdin, env: msg.envBlock === '' ? [] : msg.envBlock.split('\0'), maxResponseBytes: msg.maxResponseBytes };
    const out = callWagi(instances, call, (e) => { stderr = e; });
    const reply: FromWorker = {
      type: 'done', id: msg.id, ok: true, status: out.response.status, headers: out.response.headers, body: out.response.body,
      cold: out.cold, initMicros: out.initMicros, stderr: out.stderr, instances: liveInstances(),
    };
    port.postMessage(reply, [out.response.body.buffer as ArrayBuffer]);
  } catch (err) {
    const error = err instanceof NodeRuntimeError ? toSerialized(err) : { code: 'Trap' as const, message: `worker failed: ${String(err)}` };
    const reply: FromWorker = { type: 'done', id: msg.id, ok: false, error, stderr, instances: liveInstances() };
    port.postMessage(reply);
  }
  try {
    instances?.recycle();
  } catch {
    // A failed re-instantiation resurfaces as the next invocation's error; drop the instances.
    modules.delete(msg.moduleId);
  }
});
