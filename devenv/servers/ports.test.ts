import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { addressInUse, groupListensOn, listeningInodes, portHolder, processGroupOf } from './ports.ts';
import { freePort, tcpReady } from './process.ts';

describe('addressInUse', () => {
  // Real lines from the servers the harness runs, each started on a port another process held.
  const cases: { server: string; log: string; expected: string | undefined }[] = [
    { server: 'docker-registry', log: 'time="..." level=fatal msg="listen tcp 127.0.0.1:45991: bind: address already in use"', expected: '127.0.0.1:45991' },
    { server: 'nats-server', log: '[17984] 2026/11/25 02:55:16.612311 [FTL] Error listening on port: 127.0.0.1:45991, "listen tcp 127.0.0.1:45991: bind: address already in use"', expected: '127.0.0.1:45991' },
    { server: 'kube-apiserver', log: 'E1125 02:55:16.6 1 run.go:72] "command failed" err="failed to listen on 127.0.0.1:6443: listen tcp 127.0.0.1:6443: bind: address already in use"', expected: '127.0.0.1:6443' },
    { server: 'redis-server', log: '17993:M 25 Nov 2026 02:55:16.620 # Warning: Could not create server TCP listening socket 127.0.0.1:45991: bind: Address already in use\n17993:M 25 Nov 2026 02:55:16.620 # Failed listening on port 45991 (TCP), aborting.', expected: '127.0.0.1:45991' },
    { server: 'git daemon', log: '[17976] Could not bind to 127.0.0.1: Address already in use\n[17976] unable to allocate any listen sockets for host 127.0.0.1 on port 45991\nfatal: unable to allocate any listen sockets on port 45991', expected: '127.0.0.1:45991' },
    { server: 'node', log: "Error: listen EADDRINUSE: address already in use 127.0.0.1:40001\n    at Server.setupListenHandle", expected: '127.0.0.1:40001' },
    { server: 'in use, no address', log: 'bind: address already in use', expected: 'its port' },
    { server: 'another failure', log: 'open /x/config.yml: no such file or directory', expected: undefined },
  ];
  for (const c of cases) it(c.server, () => expect(addressInUse(c.log)).toBe(c.expected));
});

describe('listeningInodes', () => {
  it('picks LISTEN rows of the port, IPv4 and IPv6, and ignores connections', () => {
    const head = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';
    const tcp = [head, '   0: 0100007F:AE6D 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 111 1 0', '   1: 0100007F:AE6D 0100007F:9C40 01 00000000:00000000 00:00000000 00000000     0        0 222 1 0', '   2: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 333 1 0'].join('\n');
    const tcp6 = [head, '   0: 00000000000000000000000000000000:AE6D 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 444 1 0'].join('\n');
    expect([...listeningInodes([tcp, tcp6], 0xae6d)]).toEqual(['111', '444']);
    expect([...listeningInodes([tcp], 8080)]).toEqual(['333']);
  });
});

describe('processGroupOf', () => {
  it('reads the group after a command name holding spaces and parentheses', () => {
    expect(processGroupOf('4242 (git daemon (x)) S 4200 4241 4241 0 -1 4194560')).toBe(4241);
    expect(processGroupOf('7 (sh) R 1 7 7 0')).toBe(7);
  });
});

describe('groupListensOn / portHolder', () => {
  it('see a listener in a child of the group leader, and nobody once the group stops', async () => {
    const port = await freePort();
    // `; wait` keeps sh from exec-ing node: the leader is sh, the listener its child, as with `git daemon`.
    const group = spawn('sh', ['-c', `${process.execPath} -e "require('node:net').createServer().listen(${port}, '127.0.0.1')" & wait`], { detached: true, stdio: 'ignore' });
    const pgid = group.pid ?? 0;
    try {
      const deadline = Date.now() + 10_000;
      while (!(await tcpReady(port)) && Date.now() < deadline) await sleep(50);
      expect(groupListensOn(pgid, port)).toBe(true);
      const holder = portHolder(port);
      expect(holder?.pid).not.toBe(pgid);
      expect(holder?.command).toContain('createServer');
      // This process is not in that group.
      expect(groupListensOn(process.pid, port)).toBe(false);
    } finally {
      process.kill(-pgid, 'SIGKILL');
    }
    await once(group, 'exit');
    const deadline = Date.now() + 5000;
    while (portHolder(port) !== undefined && Date.now() < deadline) await sleep(50);
    expect(groupListensOn(pgid, port)).toBe(false);
    expect(portHolder(port)).toBeUndefined();
  });
});
