import { describe, expect, it } from 'vitest';
import { RUNC_BINARY, RUNC_REQUEST_ENV, runcConfig } from './config.ts';

interface Config {
  process: { args: string[]; env: string[]; terminal: boolean; capabilities: Record<string, string[]>; noNewPrivileges: boolean };
  root: { path: string; readonly: boolean };
  linux: { namespaces: Array<{ type: string }> };
}

describe('runcConfig', () => {
  const config = runcConfig() as Config;

  it('runs the function binary once for a GET request, without a terminal', () => {
    expect(config.process.args).toEqual([RUNC_BINARY]);
    expect(config.process.terminal).toBe(false);
    expect(config.process.env).toContain('REQUEST_METHOD=GET');
    expect(config.process.env).toContain(`QUERY_STRING=${RUNC_REQUEST_ENV['QUERY_STRING']}`);
  });

  it('denies by default: read-only rootfs, no capabilities, no new privileges', () => {
    expect(config.root).toEqual({ path: 'rootfs', readonly: true });
    expect(Object.values(config.process.capabilities).every((caps) => caps.length === 0)).toBe(true);
    expect(config.process.noNewPrivileges).toBe(true);
  });

  it('creates no network namespace (the baseline stays as lean as a container gets)', () => {
    expect(config.linux.namespaces.map((n) => n.type).sort()).toEqual(['ipc', 'mount', 'pid', 'uts']);
  });

  it('passes a given environment through in order', () => {
    const custom = runcConfig({ REQUEST_METHOD: 'POST', PATH_INFO: '/x' }) as Config;
    expect(custom.process.env).toEqual(['REQUEST_METHOD=POST', 'PATH_INFO=/x']);
  });
});
