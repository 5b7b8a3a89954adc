/**
 * vitest globalSetup for the integration and e2e tiers: starts the shared servers once per run,
 * hands their addresses to the test workers through `provide`, and stops them at the end.
 */
import type { TestProject } from 'vitest/node';
import { startHarness } from '../../devenv/servers/start.ts';
import type { HarnessInfo } from '../../devenv/servers/types.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    harness: HarnessInfo;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const t = performance.now();
  const harness = await startHarness({ log: (line) => process.stderr.write(`${line}\n`) });
  process.stderr.write(`harness: all servers ready in ${Math.round(performance.now() - t)} ms; work dir ${harness.info.workDir}\n`);
  project.provide('harness', harness.info);
  // FLOTILLA_KEEP_HARNESS=1 keeps data and logs for a post-mortem.
  return () => harness.stop({ keep: process.env['FLOTILLA_KEEP_HARNESS'] === '1' });
}
