import { describe, expect, it } from 'vitest';
import { runtimeConfig } from './container.ts';

const image = { config: { User: '65532:65532', Env: ['NODE_ENV=production'], Entrypoint: ['/usr/local/bin/node', 'cli/main.ts'], Cmd: ['node'], WorkingDir: '/app' } };

describe('runtimeConfig', () => {
  it('runs the image command as its user on a read-only root with no capabilities', () => {
    const config = runtimeConfig(image) as { process: { user: object; args: string[]; env: string[]; cwd: string; capabilities: { bounding: string[] }; noNewPrivileges: boolean }; root: object };
    expect(config.process).toMatchObject({ user: { uid: 65532, gid: 65532 }, args: ['/usr/local/bin/node', 'cli/main.ts', 'node'], env: ['NODE_ENV=production'], cwd: '/app', noNewPrivileges: true });
    expect(config.process.capabilities.bounding).toEqual([]);
    expect(config.root).toEqual({ path: 'rootfs', readonly: true });
  });

  it('replaces Cmd with the args given and binds mounts read-only unless asked', () => {
    const config = runtimeConfig(image, { args: ['operator', '--help'], mounts: [{ source: '/s', destination: '/d' }, { source: '/w', destination: '/rw', readOnly: false }] }) as { process: { args: string[] }; mounts: { destination: string; options?: string[] }[] };
    expect(config.process.args).toEqual(['/usr/local/bin/node', 'cli/main.ts', 'operator', '--help']);
    expect(config.mounts.find((m) => m.destination === '/d')?.options).toEqual(['rbind', 'ro']);
    expect(config.mounts.find((m) => m.destination === '/rw')?.options).toEqual(['rbind', 'rw']);
    expect(config.mounts.find((m) => m.destination === '/tmp')).toBeDefined();
  });

  it.each([[undefined], ['flotilla'], ['65532'], ['0:0'], ['0:65532']])('refuses the user %j', (User) => {
    expect(() => runtimeConfig({ config: { ...image.config, User } })).toThrow(/User: expected a numeric non-root uid:gid/);
  });
});
