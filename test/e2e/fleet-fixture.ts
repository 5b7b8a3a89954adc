/**
 * A local fleet for one e2e file: `flotilla up` with config and state in a temp HOME (the user's
 * own fleet and key stay untouched), its recorded state, and a teardown that always runs `down`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll } from 'vitest';
import type { Result } from 'execa';
import type { FleetState } from '../../devenv/fleet/state.ts';

const CLI = join(import.meta.dirname, '../../cli/main.ts');

export interface FleetFixture {
  readonly home: string;
  readonly stateFile: string;
  /** Runs the CLI with this fixture's HOME dirs. */
  flotilla(args: string[]): Promise<Result>;
  /** The state file as it is now. */
  state(): FleetState;
  /** `flotilla down` if anything is recorded, then removes the temp HOME. */
  teardown(): Promise<void>;
}

/** Starts a fleet; throws with up's output when it fails. */
export async function upFleet(): Promise<FleetFixture & { readonly upMs: number }> {
  const home = await mkdtemp(join(tmpdir(), 'flotilla-e2e-home-'));
  const env = { XDG_CONFIG_HOME: join(home, 'config'), XDG_STATE_HOME: join(home, 'state') };
  const stateFile = join(home, 'state', 'flotilla', 'fleet.json');
  const flotilla = (args: string[]): Promise<Result> => execa('node', [CLI, ...args], { env, reject: false, timeout: 900_000 });
  const fixture: FleetFixture = {
    home,
    stateFile,
    flotilla,
    state: () => JSON.parse(readFileSync(stateFile, 'utf8')) as FleetState,
    async teardown() {
      if (existsSync(stateFile)) await flotilla(['down']);
      await rm(home, { recursive: true, force: true });
    },
  };
  const t = performance.now();
  const up = await flotilla(['up']);
  const upMs = performance.now() - t;
  if (up.exitCode !== 0) {
    await fixture.teardown();
    throw new Error(`flotilla up exited ${up.exitCode}:\n${String(up.stderr).slice(-4000)}`);
  }
  return { ...fixture, upMs };
}

/**
 * The fleet of one e2e file: `up` before its tests, `down` after them, always. Read `fleet` and
 * `state` (the state file as `up` left it) inside tests and hooks, once the file's beforeAll ran.
 */
export function useFleet(): { readonly fleet: FleetFixture & { readonly upMs: number }; readonly state: FleetState } {
  let fleet: (FleetFixture & { readonly upMs: number }) | undefined;
  let state: FleetState | undefined;
  beforeAll(async () => {
    fleet = await upFleet();
    state = fleet.state();
  });
  afterAll(async () => {
    await fleet?.teardown();
  });
  const started = <T>(v: T | undefined): T => {
    if (v === undefined) throw new Error('useFleet: the fleet is read before beforeAll brought it up (or up failed)');
    return v;
  };
  return {
    get fleet() {
      return started(fleet);
    },
    get state() {
      return started(state);
    },
  };
}
