import { describe, expect, it } from 'vitest';
import { bridgeConflist, usedPodSubnets } from './cni.ts';

describe('usedPodSubnets', () => {
  it('collects the third octet of 10.244.x addresses only', () => {
    const text = [
      '1: lo    inet 127.0.0.1/8 scope host lo',
      '4: eth0    inet 192.0.2.2/24 brd 192.0.2.255 scope global eth0',
      '9: flo07ab12cd    inet 10.244.7.1/24 brd 10.244.7.255 scope global flo07ab12cd',
      '10: flo2a0011ff    inet 10.244.42.1/24 scope global flo2a0011ff',
      '11: other    inet 10.24.4.1/24 scope global other',
    ].join('\n');
    expect([...usedPodSubnets(text)].sort((a, b) => a - b)).toEqual([7, 42]);
  });
});

describe('bridgeConflist', () => {
  it('puts the node on its own bridge and range, gateway on the host, portmap chained', () => {
    const conf = JSON.parse(bridgeConflist('flotilla-a', { bridge: 'flo07ab12cd', subnet: '10.244.7.0/24' }, '/d/ipam')) as { name: string; plugins: Record<string, unknown>[] };
    expect(conf.name).toBe('flotilla-a');
    expect(conf.plugins.map((p) => p['type'])).toEqual(['bridge', 'portmap']);
    expect(conf.plugins[0]).toMatchObject({ bridge: 'flo07ab12cd', isGateway: true, ipam: { type: 'host-local', ranges: [[{ subnet: '10.244.7.0/24' }]], dataDir: '/d/ipam' } });
  });
});
