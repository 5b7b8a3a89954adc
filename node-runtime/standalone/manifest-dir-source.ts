/**
 * Standalone mode's desired state: a directory of rendered manifests (gitops/clusters/<c>/),
 * read through api/ and watched for changes. A change that does not validate is reported and the
 * node keeps serving the last good state: a bad commit never empties a running node.
 */
import type { Logger } from 'pino';
import { groupByKind, loadManifestDir } from '../../api/index.ts';
import { NodeRuntimeError } from '../errors.ts';
import { desiredStateFrom } from '../resolve/from-manifests.ts';
import type { DesiredState, DesiredStateSource } from '../resolve/desired-state.ts';
import { watchTree, type TreeWatch } from './tree-watch.ts';

/** Quiet time after the last file event before re-reading (editors and git write in bursts). */
const DEBOUNCE_MS = 150;

/** A state as text for comparison (its maps as entry lists: JSON.stringify writes a Map as {}). */
function fingerprint(state: DesiredState): string {
  return JSON.stringify(state, (_k, v: unknown) => (v instanceof Map ? [...v.entries()] : v));
}

export class ManifestDirSource implements DesiredStateSource {
  private readonly dir: string;
  private readonly logger: Logger;
  private watcher: TreeWatch | undefined;
  /** The last state applied, as JSON: a re-read that yields the same state applies nothing. */
  private applied: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private reading = Promise.resolve();

  constructor(dir: string, logger: Logger) {
    this.dir = dir;
    this.logger = logger;
  }

  /** Reads the directory once (throws InvalidManifest when it does not validate). */
  async read(): Promise<DesiredState> {
    let objects;
    try {
      objects = await loadManifestDir(this.dir);
    } catch (err) {
      throw new NodeRuntimeError('InvalidManifest', `manifests in ${this.dir}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    const { state, issues } = desiredStateFrom(groupByKind(objects));
    for (const issue of issues) this.logger.warn({ dir: this.dir }, issue);
    return state;
  }

  async start(apply: (state: DesiredState) => void): Promise<void> {
    const first = await this.read();
    this.applied = fingerprint(first);
    apply(first);
    const onChange = () => {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => {
        this.reading = this.reading.then(async () => {
          try {
            const state = await this.read();
            const text = fingerprint(state);
            if (text === this.applied) return;
            this.applied = text;
            apply(state);
            this.logger.info({ dir: this.dir }, 'Applied changed manifests');
          } catch (err) {
            this.logger.error({ dir: this.dir, code: err instanceof NodeRuntimeError ? err.code : undefined }, `Kept the last good state: ${err instanceof Error ? err.message : String(err)}`);
          }
        });
      }, DEBOUNCE_MS);
    };
    this.watcher = watchTree(this.dir, onChange, {
      include: (f) => /\.ya?ml$/.test(f),
      onError: (err) => this.logger.warn({ dir: this.dir, err }, 'Could not watch part of the manifest directory; changes there are seen by polling'),
    });
  }

  async close(): Promise<void> {
    clearTimeout(this.timer);
    this.watcher?.close();
    await this.reading;
  }
}
