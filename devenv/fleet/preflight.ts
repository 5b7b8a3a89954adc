/**
 * The first step of `flotilla up`: every binary the fleet will run is there and executable, checked
 * before anything starts, so a missing tool fails in a second with its name, the path looked at and
 * the fix, instead of minutes later as a server that "exited before it was ready".
 */
import { accessSync, constants, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ToolName } from '../tools/paths.ts';
import { toolDir, toolPath, toolsDir } from '../tools/paths.ts';

/**
 * Tools the supervisor runs, itself or through the harness modules it starts servers with
 * (preflight.test.ts checks this list against their toolPath/toolDir calls). The example
 * toolchains (clang, go, asc) are left to the build step: a cached build needs none of them.
 */
export const FLEET_TOOLS = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kubectl', 'openssl', 'registry', 'git', 'nats-server', 'redis-server', 'argocd'] as const satisfies readonly ToolName[];

/** Argo CD's binary is multi-call: the server names in its tool dir (links made by setup) must run too. */
const ARGOCD_COMMANDS = ['argocd-repo-server', 'argocd-application-controller', 'argocd-server', 'git-verify-wrapper.sh'] as const;

/** One executable the fleet needs: where it should be, or why it could not even be located. */
export type Wanted = { readonly tool: string; readonly path: string } | { readonly tool: string; readonly unresolved: string };

/** What is at a path: an executable file, nothing, or something that will not run. */
export type Found = 'executable' | 'missing' | 'not-executable' | 'not-a-file';

/** One line per tool that will not run, naming the tool and the path looked at (pure). */
export function toolProblems(wanted: readonly Wanted[], probe: (path: string) => Found): string[] {
  const out: string[] = [];
  for (const w of wanted) {
    if ('unresolved' in w) {
      out.push(`${w.tool}: ${w.unresolved}`);
      continue;
    }
    const found = probe(w.path);
    if (found === 'missing') out.push(`${w.tool}: expected an executable at ${w.path}, found nothing there`);
    else if (found === 'not-executable') out.push(`${w.tool}: expected ${w.path} to be executable, it is not (mode lacks x)`);
    else if (found === 'not-a-file') out.push(`${w.tool}: expected an executable file at ${w.path}, found a directory`);
  }
  return out;
}

/** The message of a failed tools step: the problems, then the one fix. */
export function toolsMessage(problems: readonly string[], toolsRoot: string, fromEnv: boolean): string {
  const where = fromEnv ? `${toolsRoot} (FLOTILLA_TOOLS_DIR)` : toolsRoot;
  return `${problems.length === 1 ? 'a tool is' : `${problems.length} tools are`} missing:\n${problems.join('\n')}\nrun \`npm run setup\` (it builds the pinned Go tools into ${where} and installs the Debian packages), then \`flotilla up\` again`;
}

/** Where each tool of FLEET_TOOLS should be, resolved as the servers will resolve it. */
export function wantedTools(env: NodeJS.ProcessEnv = process.env): Wanted[] {
  const out: Wanted[] = [];
  for (const tool of FLEET_TOOLS) {
    try {
      out.push({ tool, path: toolPath(tool, env) });
    } catch (err) {
      out.push({ tool, unresolved: err instanceof Error ? err.message : String(err) });
    }
  }
  const argocdDir = toolDir('argocd', env);
  for (const command of ARGOCD_COMMANDS) out.push({ tool: command, path: join(argocdDir, command) });
  return out;
}

/** What is at `path` on this machine (follows symlinks: a dangling one is missing). */
export function probeFile(path: string): Found {
  try {
    if (!statSync(path).isFile()) return 'not-a-file';
  } catch {
    return 'missing';
  }
  try {
    accessSync(path, constants.X_OK);
    return 'executable';
  } catch {
    return 'not-executable';
  }
}

/** Throws with every missing tool and the fix; returns the number of executables checked. */
export function checkFleetTools(env: NodeJS.ProcessEnv = process.env): number {
  const wanted = wantedTools(env);
  const problems = toolProblems(wanted, probeFile);
  if (problems.length > 0) throw new Error(toolsMessage(problems, toolsDir(env), Boolean(env['FLOTILLA_TOOLS_DIR'])));
  return wanted.length;
}
