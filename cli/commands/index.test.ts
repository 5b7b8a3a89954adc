import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { invokedCommand, registerCommands } from './index.ts';

describe('command registration', () => {
  it.each([
    [['node', 'flotilla', 'push', 'a.wasm', 'r'], 'push'],
    [['node', 'flotilla', '--help'], undefined],
    [['node', 'flotilla', 'help', 'push'], undefined],
    [['node', 'flotilla', 'nope'], undefined],
    [['node', 'flotilla', 'constructor'], undefined],
    [['node', 'flotilla'], undefined],
  ])('%j -> %s', (argv, expected) => {
    expect(invokedCommand(argv)).toBe(expected);
  });

  it('loads only the invoked command, and every command for help', async () => {
    const one = new Command('flotilla');
    await registerCommands(one, ['node', 'flotilla', 'verify', 'x']);
    expect(one.commands.map((c) => c.name())).toEqual(['verify']);

    const all = new Command('flotilla');
    await registerCommands(all, ['node', 'flotilla', '--help']);
    expect(all.commands.map((c) => c.name())).toEqual(['up', 'down', 'status', 'check', 'push', 'pull', 'sign', 'verify', 'inspect', 'run', 'serve', 'node', 'operator', 'audit', 'nats', 'keygen', 'version', 'completion']);
  });
});
