/**
 * The OCI runtime config of the native baseline container: the same `echo` function as the Wasm
 * examples, built as a static binary and started by runc for one GET request.
 *
 * Kept as lean as a container gets so the baseline is the fastest honest one: no network namespace
 * (the function needs none, and creating one costs time), no capabilities, a read-only rootfs holding
 * only the binary, and only /proc and /dev mounted.
 */

/** The CGI variables of the request the container answers (WAGI semantics, as the Wasm runtime passes them). */
export const RUNC_REQUEST_ENV: Readonly<Record<string, string>> = {
  REQUEST_METHOD: 'GET',
  PATH_INFO: '/runc',
  QUERY_STRING: 'baseline=cold-start',
  SERVER_PROTOCOL: 'HTTP/1.1',
};

/** Path of the function binary inside the rootfs. */
export const RUNC_BINARY = '/echo';

/** OCI runtime-spec config.json for the baseline bundle (rootfs in `rootfs/` beside it). */
export function runcConfig(env: Readonly<Record<string, string>> = RUNC_REQUEST_ENV): object {
  const noCaps: string[] = [];
  return {
    ociVersion: '1.0.2-dev',
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args: [RUNC_BINARY],
      env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
      cwd: '/',
      capabilities: { bounding: noCaps, effective: noCaps, permitted: noCaps, ambient: noCaps },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: true },
    hostname: 'flotilla-runc-baseline',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=64k'] },
    ],
    linux: {
      resources: { devices: [{ allow: false, access: 'rwm' }] },
      namespaces: [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }],
      maskedPaths: ['/proc/kcore', '/proc/keys', '/proc/timer_list', '/proc/sched_debug', '/sys/firmware'],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
}
