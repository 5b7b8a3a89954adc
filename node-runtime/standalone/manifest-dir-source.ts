/**
 * Standalone mode's desired state: a directory of rendered manifests (gitops/clusters/<c>/),
 * read through api/ and watched for changes. A change that does not validate is reported and the
 * node keeps serving the last good state: a bad commit never empties a running node.
 */
import { watch, type FSWatcher } from 'node:fs';
import type { Logger } from 'pino';
import { groupByKind, loadManifestDir } from '../../api/index.ts';
import { NodeRuntimeError } from '../errors.ts';
import { desiredStateFrom } from '../resolve/from-manifests.ts';
import type { DesiredState, DesiredStateSource } from '../resolve/desired-state.ts';

/** Quiet time after the last file event before re-reading (editors and git write in bursts). */
const DEBOUNCE_MS = 150;

export class ManifestDirSource implements DesiredStateSource {
  private readonly dir: string;
  private readonly logger: Logger;
  private watcher: FSWatcher | undefined;
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
    apply(await this.read());
    this.watcher = watch(this.dir, { recursive: true }, () => {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => {
        this.reading = this.reading.then(async () => {
          try {
            apply(await this.read());
            this.logger.info({ dir: this.dir }, 'Applied changed manifests');
          } catch (err) {
            this.logger.error({ dir: this.dir, code: err instanceof NodeRuntimeError ? err.code : undefined }, `Kept the last good state: ${err instanceof Error ? err.message : String(err)}`);
          }
        });
      }, DEBOUNCE_MS);
    });
  }

  async close(): Promise<void> {
    clearTimeout(this.timer);
    this.watcher?.close();
    await this.reading;
  }
}
