import { describe, expect, it } from 'vitest';
import { cgroupHierarchies, mountsUnder, parseMountInfo } from './node-host.ts';

const MOUNTINFO = [
  '22 1 254:0 / / rw,relatime - ext4 /dev/vda rw',
  '30 22 0:26 / /sys/fs/cgroup rw - tmpfs tmpfs rw,mode=755',
  '31 30 0:27 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu',
  '32 30 0:28 / /sys/fs/cgroup/cpuset rw - cgroup cgroup rw,cpuset',
  '33 30 0:29 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw',
  '40 22 0:50 / /tmp/h/nodes/a/containerd/state/task/k8s.io/abc/rootfs rw - overlay overlay rw,lowerdir=/x',
  '41 22 0:51 / /tmp/h/nodes/a/kubelet/root/pods/u/volumes/my\\040vol rw - tmpfs tmpfs rw',
  '42 22 0:52 / /tmp/h/nodes/a/containerd/state/cri/sandboxes/s/shm rw - tmpfs shm rw',
  '43 40 0:53 / /tmp/h/nodes/a/containerd/state/task/k8s.io/abc/rootfs/proc rw - proc proc rw',
  '44 22 0:54 / /tmp/h/nodes/ab/x rw - tmpfs tmpfs rw',
  '',
].join('\n');

describe('parseMountInfo', () => {
  it('reads mount point, type and super options, unescaping octal escapes', () => {
    const entries = parseMountInfo(MOUNTINFO);
    expect(entries).toHaveLength(10);
    expect(entries[2]).toEqual({ mountPoint: '/sys/fs/cgroup/cpu', fsType: 'cgroup', superOptions: 'rw,cpu' });
    expect(entries[6]?.mountPoint).toBe('/tmp/h/nodes/a/kubelet/root/pods/u/volumes/my vol');
  });
});

describe('mountsUnder', () => {
  it('lists only mounts strictly under the dir (not a sibling sharing its prefix), a mount before the one it sits on', () => {
    expect(mountsUnder(parseMountInfo(MOUNTINFO), '/tmp/h/nodes/a')).toEqual([
      '/tmp/h/nodes/a/containerd/state/task/k8s.io/abc/rootfs/proc',
      '/tmp/h/nodes/a/containerd/state/task/k8s.io/abc/rootfs',
      '/tmp/h/nodes/a/containerd/state/cri/sandboxes/s/shm',
      '/tmp/h/nodes/a/kubelet/root/pods/u/volumes/my vol',
    ]);
  });
});

describe('cgroupHierarchies', () => {
  it('finds the v1 hierarchies and the unified one, not the tmpfs they sit on', () => {
    expect(cgroupHierarchies(parseMountInfo(MOUNTINFO))).toEqual(['/sys/fs/cgroup/cpu', '/sys/fs/cgroup/cpuset', '/sys/fs/cgroup/unified']);
  });
});
