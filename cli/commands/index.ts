import type { Command } from 'commander';
import { register as registerRun } from './run.ts';
import { register as registerServe } from './serve.ts';
import { register as registerNode } from './node.ts';
import { register as registerOperator } from './operator.ts';
import { register as registerPush } from './push.ts';
import { register as registerPull } from './pull.ts';
import { register as registerSign } from './sign.ts';
import { register as registerVerify } from './verify.ts';
import { register as registerInspect } from './inspect.ts';
import { register as registerCheck } from './check.ts';
import { register as registerUp } from './up.ts';
import { register as registerDown } from './down.ts';
import { register as registerStatus } from './status.ts';

/** Adds every subcommand to the program. One import + one line per command file. */
export function registerCommands(program: Command): void {
  registerOperator(program);
  registerPush(program);
  registerPull(program);
  registerSign(program);
  registerVerify(program);
  registerInspect(program);
  registerCheck(program);
  registerUp(program);
  registerDown(program);
  registerStatus(program);
  registerRun(program);
  registerServe(program);
  registerNode(program);
}
