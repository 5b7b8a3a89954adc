/**
 * A trigger test node as its own process, so a test can SIGKILL it mid-event: a real crash, no
 * graceful shutdown, no ack. Config (TestNodeConfig as JSON) in argv[2]; prints "ready" once its
 * triggers run and "invoke <function>" when an invocation starts.
 */
import { startTestNode, type TestNodeConfig } from './trigger-node.ts';

const config = JSON.parse(process.argv[2] ?? '{}') as TestNodeConfig;
await startTestNode({ ...config, onInvoke: (fn) => process.stdout.write(`invoke ${fn}\n`) });
process.stdout.write('ready\n');
