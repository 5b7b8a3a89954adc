/**
 * Notices every branch update of the served repositories: a push through the HTTP backend and a
 * commit made directly in a served working copy (`flotilla up`'s repo is both) land the same way,
 * as a new loose ref file, so one inotify watch on refs/heads covers both without hooks in the
 * user's repo. The watch only wakes a re-read of the refs; the refs themselves are the truth.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { join } from 'node:path';
import type { PushedCommit, RefUpdate } from './push-payload.ts';
import { MAX_COMMITS } from './push-payload.ts';

const ZERO = '0'.repeat(40);
/** A commit writes the ref lock, renames it and appends the reflog: one re-read after the burst. */
const SETTLE_MS = 15;

/** The git directory of a served repository (a working copy's `.git`, or the repo itself if bare). */
export function gitDirOf(repoPath: string): string {
  return existsSync(join(repoPath, '.git')) ? join(repoPath, '.git') : repoPath;
}

/** Watches one repository's branches; calls `onUpdate` for each branch whose commit changed. */
export class RefWatch {
  readonly #git: string;
  readonly #repoPath: string;
  readonly #name: string;
  #known: Map<string, string>;
  readonly #watchers: FSWatcher[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(git: string, repoPath: string, name: string, onUpdate: (u: RefUpdate) => void) {
    this.#git = git;
    this.#repoPath = repoPath;
    this.#name = name;
    this.#known = this.#refs();
    const gitDir = gitDirOf(repoPath);
    const wake = (): void => {
      clearTimeout(this.#timer);
      this.#timer = setTimeout(() => {
        const now = this.#refs();
        for (const [ref, after] of now) if (this.#known.get(ref) !== after) onUpdate({ repo: this.#name, ref, before: this.#known.get(ref) ?? ZERO, after });
        for (const [ref, before] of this.#known) if (!now.has(ref)) onUpdate({ repo: this.#name, ref, before, after: ZERO });
        this.#known = now;
      }, SETTLE_MS);
    };
    // refs/heads for loose refs (nested branch names too), the git dir for packed-refs.
    this.#watchers.push(watch(join(gitDir, 'refs', 'heads'), { recursive: true }, wake), watch(gitDir, wake));
  }

  /** The branch the repository's HEAD names (what a Git host calls its default branch). */
  defaultBranch(): string {
    return this.#run(['symbolic-ref', '--short', 'HEAD']).trim();
  }

  /** The commits of an update, oldest first, each with the paths it touched (at most MAX_COMMITS). */
  commits(u: RefUpdate): PushedCommit[] {
    if (u.after === ZERO) return [];
    const range = u.before === ZERO ? [u.after] : [`${u.before}..${u.after}`];
    const ids = this.#run(['rev-list', '--reverse', `--max-count=${MAX_COMMITS}`, ...range]).split('\n').filter(Boolean);
    return ids.map((id) => {
      const added: string[] = [];
      const modified: string[] = [];
      const removed: string[] = [];
      const fields = this.#run(['diff-tree', '--root', '--no-commit-id', '--name-status', '-r', '-z', id]).split('\0');
      for (let i = 0; i + 1 < fields.length; i += 2) {
        const [status, path] = [fields[i] ?? '', fields[i + 1] ?? ''];
        (status === 'A' ? added : status === 'D' ? removed : modified).push(path);
      }
      return { id, message: this.#run(['log', '-1', '--format=%B', id]).trim(), added, modified, removed };
    });
  }

  close(): void {
    clearTimeout(this.#timer);
    for (const w of this.#watchers) w.close();
  }

  #refs(): Map<string, string> {
    const out = this.#run(['for-each-ref', '--format=%(refname) %(objectname)', 'refs/heads']);
    return new Map(out.split('\n').filter(Boolean).map((l) => l.split(' ') as [string, string]));
  }

  #run(args: readonly string[]): string {
    return execFileSync(this.#git, args, { cwd: this.#repoPath, encoding: 'utf8' });
  }
}
