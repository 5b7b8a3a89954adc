/**
 * Watches a manifest directory tree so that every way a file can change is seen: in-place writes,
 * atomic renames (how editors, git and Kubernetes ConfigMap volumes write), new subdirectories and
 * the root itself being replaced.
 *
 * Why not `fs.watch(dir, { recursive: true })`: on Linux Node implements it with one inotify watch
 * per file, so after the first atomic rename the watch sits on the old inode and every later change
 * of that file goes unseen. Watching each directory (non-recursive) sees entries renamed into it.
 * A slow fingerprint poll backs it up for what inotify cannot see (the root directory swapped, a
 * filesystem without events).
 */
import { watch, type FSWatcher } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

export interface TreeWatchOptions {
  /** Which files count; others (swap files, temp names) are ignored by the poll. */
  readonly include: (file: string) => boolean;
  /** Fingerprint poll period. @default 2000 */
  readonly pollMs?: number;
  /** Called when a watch cannot be set up or a scan fails (the watch goes on). */
  readonly onError?: (err: Error) => void;
}

export interface TreeWatch {
  close(): void;
}

/** Calls `onChange` (possibly several times per change: debounce it) whenever the tree under `root` may have changed. */
export function watchTree(root: string, onChange: () => void, opts: TreeWatchOptions): TreeWatch {
  const watchers = new Map<string, FSWatcher>();
  let closed = false;
  let fingerprint: string | undefined;
  let scanning = false;
  let again = false;

  const directories = async (): Promise<string[]> => {
    const entries = await readdir(root, { recursive: true, withFileTypes: true });
    return [root, ...entries.filter((e) => e.isDirectory()).map((e) => join(e.parentPath, e.name))];
  };

  const files = async (): Promise<string> => {
    const entries = await readdir(root, { recursive: true, withFileTypes: true });
    const parts: string[] = [];
    for (const e of entries) {
      const path = join(e.parentPath, e.name);
      if (e.isDirectory() || !opts.include(path)) continue;
      // A file may vanish between readdir and stat: that is a change the next scan sees.
      const s = await stat(path).catch(() => undefined);
      if (s) parts.push(`${path}:${s.ino}:${s.size}:${s.mtimeMs}`);
    }
    return parts.sort().join('\n');
  };

  const fire = (): void => {
    if (!closed) onChange();
    void rescan();
  };

  // Brings the set of watched directories in line with the tree and notices changes no event told of.
  const rescan = async (): Promise<void> => {
    if (closed) return;
    // An event during a scan may be a new directory the running scan already missed: scan again after.
    if (scanning) {
      again = true;
      return;
    }
    scanning = true;
    try {
      const dirs = new Set(await directories().catch(() => [root]));
      for (const [dir, w] of watchers) {
        if (!dirs.has(dir)) {
          w.close();
          watchers.delete(dir);
        }
      }
      for (const dir of dirs) {
        if (watchers.has(dir) || closed) continue;
        try {
          const w = watch(dir, { persistent: false }, fire);
          // The directory went away (or was replaced): drop the watch; the poll finds the new one.
          w.on('error', () => {
            w.close();
            watchers.delete(dir);
          });
          watchers.set(dir, w);
        } catch (err) {
          opts.onError?.(err as Error);
        }
      }
      const now = await files().catch(() => '');
      if (fingerprint !== undefined && now !== fingerprint && !closed) onChange();
      fingerprint = now;
    } finally {
      scanning = false;
    }
    if (again) {
      again = false;
      await rescan();
    }
  };

  void rescan();
  const poll = setInterval(() => {
    // A watch on a replaced root still exists but hears nothing: renew every watch each poll round.
    const rootWatch = watchers.get(root);
    if (rootWatch) {
      rootWatch.close();
      watchers.delete(root);
    }
    void rescan();
  }, opts.pollMs ?? 2000);
  poll.unref();

  return {
    close() {
      closed = true;
      clearInterval(poll);
      for (const w of watchers.values()) w.close();
      watchers.clear();
    },
  };
}
