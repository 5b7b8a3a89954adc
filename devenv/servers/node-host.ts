/**
 * What a harness node leaves on the host besides files: cgroups (kubelet's QoS tree, the pods'
 * containers, the runc shims) and mounts (container root filesystems, sandbox /dev/shm, network
 * namespaces, kubelet volumes). A node owns one cgroup path and one directory; these create the
 * cgroup and, on stop, kill what runs in it and remove both, so no run leaks into the next.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** One line of /proc/self/mountinfo, the fields used here. */
export interface MountEntry {
  readonly mountPoint: string;
  readonly fsType: string;
  /** Super options (after the separator), e.g. `rw,cpu` for a cgroup v1 hierarchy. */
  readonly superOptions: string;
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Parses /proc/self/mountinfo text (pure). */
export function parseMountInfo(text: string): MountEntry[] {
  return text.split('\n').flatMap((line) => {
    const [left, right] = line.split(' - ');
    if (left === undefined || right === undefined) return [];
    const mountPoint = left.split(' ')[4];
    const [fsType, , superOptions] = right.split(' ');
    return mountPoint && fsType ? [{ mountPoint: unescape(mountPoint), fsType, superOptions: superOptions ?? '' }] : [];
  });
}

/** Mount points strictly under `dir`, deepest first, so each unmount leaves its parent free (pure). */
export function mountsUnder(entries: readonly MountEntry[], dir: string): string[] {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  const points = new Set(entries.map((e) => e.mountPoint).filter((p) => p.startsWith(prefix)));
  return [...points].sort((a, b) => b.length - a.length || b.localeCompare(a));
}

/** The mount points of every cgroup hierarchy, v1 and v2 (pure). */
export function cgroupHierarchies(entries: readonly MountEntry[]): string[] {
  return entries.filter((e) => e.fsType === 'cgroup' || e.fsType === 'cgroup2').map((e) => e.mountPoint);
}

function mountInfo(): MountEntry[] {
  return parseMountInfo(readFileSync('/proc/self/mountinfo', 'utf8'));
}

/**
 * Creates cgroup `path` (e.g. `/flotilla-3f2a`) in every v1 hierarchy: kubelet refuses a
 * `cgroupRoot` that does not exist. A new v1 cpuset has no CPUs and no memory nodes, so they are
 * copied from the root or nothing could join it.
 */
export function createCgroup(path: string): void {
  for (const entry of mountInfo().filter((e) => e.fsType === 'cgroup')) {
    const dir = join(entry.mountPoint, path);
    mkdirSync(dir, { recursive: true });
    if (entry.superOptions.split(',').includes('cpuset')) {
      // Read and write, not copyFile: cgroupfs files report size 0, so a copy writes nothing.
      for (const f of ['cpuset.cpus', 'cpuset.mems']) writeFileSync(join(dir, f), readFileSync(join(entry.mountPoint, f), 'utf8'));
    }
  }
}

function treeOf(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const children = readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory());
  return [...children.flatMap((c) => treeOf(join(dir, c.name))), dir];
}

function pidsIn(dirs: readonly string[]): number[] {
  return dirs.flatMap((d) => {
    try {
      return readFileSync(join(d, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
    } catch {
      return [];
    }
  });
}

/**
 * Kills every process in cgroup `path` and below (containers, shims), then removes the cgroups,
 * leaves first. Throws naming what is left when processes outlive `timeoutMs`.
 */
export async function removeCgroup(path: string, timeoutMs = 10_000): Promise<void> {
  const hierarchies = cgroupHierarchies(mountInfo());
  const dirs = (): string[] => hierarchies.flatMap((h) => treeOf(join(h, path)));
  const deadline = Date.now() + timeoutMs;
  for (let pids = pidsIn(dirs()); pids.length > 0; pids = pidsIn(dirs())) {
    if (Date.now() > deadline) throw new Error(`cgroup ${path}: processes ${pids.join(', ')} still run ${timeoutMs} ms after SIGKILL`);
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // exited meanwhile
      }
    }
    await sleep(50);
  }
  // A cgroup can be removed only once its last task is reaped, which lags the kill a little.
  for (const dir of dirs()) {
    for (let attempt = 0; ; attempt++) {
      try {
        rmdirSync(dir);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') break;
        if (Date.now() > deadline) throw new Error(`cgroup ${dir}: could not remove it: ${(err as Error).message}`, { cause: err });
        await sleep(Math.min(50 * (attempt + 1), 500));
      }
    }
  }
}

/** Lazily unmounts every mount under `dir`, deepest first (container rootfs, shm, netns, volumes). */
export function unmountUnder(dir: string): void {
  for (const point of mountsUnder(mountInfo(), dir)) {
    try {
      execFileSync('umount', ['--lazy', point], { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (err) {
      // A parent's lazy unmount may have taken this one with it.
      if (mountsUnder(mountInfo(), dir).includes(point)) throw new Error(`umount ${point} failed: ${String((err as { stderr?: Buffer }).stderr ?? err)}`, { cause: err });
    }
  }
}

/** Moves process `pid` into cgroup `path` in every v1 hierarchy (the path must exist: see createCgroup). */
export function joinCgroup(path: string, pid: number): void {
  for (const entry of mountInfo().filter((e) => e.fsType === 'cgroup')) writeFileSync(join(entry.mountPoint, path, 'cgroup.procs'), String(pid));
}
