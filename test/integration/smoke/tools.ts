// Runs a pinned tool binary for the smoke tests, failing with its stderr in the message.
import { execa } from 'execa';
import type { ToolName } from '../../../devenv/tools/paths.ts';
import { toolPath } from '../../../devenv/tools/paths.ts';

export async function tool(name: ToolName, args: readonly string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<string> {
  const res = await execa(toolPath(name), args, { cwd: opts.cwd, env: opts.env, reject: false, stdin: 'ignore' });
  if (res.exitCode !== 0) throw new Error(`${name} ${args.join(' ')} exited ${res.exitCode}:\n${res.stderr}\n${res.stdout}`);
  return res.stdout;
}
