import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { secp } from '../../../src/crypto/index.js';
import { createEnr } from '../../../src/enr/enr.js';
import { Crawler as CheckingCrawler } from '../../../src/crawler/crawler.js';
import { DEFAULT_CRAWL_CONFIG } from '../../../src/crawler/config.js';
import { addressClass, endpointDrop, OwnEndpoints } from '../../../src/crawler/endpoints.js';
import { PrefixStrategy } from '../../../src/crawler/strategy.js';
import type { FindNodeClient } from '../../../src/crawler/types.js';
import { MessageType, type Nodes } from '../../../src/wire/messages.js';

/** The fake networks here answer by a fixed topology, not by distance, so the crawler's distance check is off. */
class Crawler extends CheckingCrawler {
  constructor(...a: ConstructorParameters<typeof CheckingCrawler>) { super(...a); this.checkDistances = false; }
}

describe('endpoints a record may send the crawler to', () => {
  it('classifies IPv4 and IPv6 addresses', () => {
    const cases: Array<[string, string | null]> = [
      ['9.9.9.9', 'public'], ['0.0.0.0', 'unspecified'], ['127.0.0.1', 'loopback'], ['169.254.1.1', 'link-local'],
      ['224.0.0.1', 'multicast'], ['255.255.255.255', 'broadcast'], ['240.0.0.1', 'reserved'], ['192.0.2.7', 'documentation'],
      ['198.51.100.1', 'documentation'], ['203.0.113.9', 'documentation'], ['10.1.2.3', 'private'], ['172.16.0.1', 'private'],
      ['172.32.0.1', 'public'], ['192.168.1.1', 'private'], ['100.64.0.1', 'private'],
      ['::', 'unspecified'], ['::1', 'loopback'], ['fe80::1', 'link-local'], ['ff02::1', 'multicast'], ['2001:db8::1', 'documentation'],
      ['fd00::1', 'private'], ['2a01:4f8::1', 'public'], ['::ffff:127.0.0.1', 'loopback'], ['::ffff:7f00:1', 'loopback'], ['::ffff:a00:5', 'private'], ['not an ip', null],
    ];
    for (const [ip, want] of cases) assert.equal(addressClass(ip), want, ip);
  });

  it('drops special endpoints always, loopback and private ones only from a public peer, and ports below 1024', () => {
    assert.equal(endpointDrop('0.0.0.0', 30303, '9.9.9.9', true), 'unspecified');
    assert.equal(endpointDrop('10.0.0.5', 30303, '9.9.9.9', false), 'private');
    assert.equal(endpointDrop('10.0.0.5', 30303, '9.9.9.9', true), null, '--allow-private');
    assert.equal(endpointDrop('10.0.0.5', 30303, '10.0.0.1', false), null, 'a devnet: private peer, private record');
    assert.equal(endpointDrop('127.0.0.2', 30303, '127.0.0.1', false), null, 'a simnet');
    assert.equal(endpointDrop('9.9.9.9', 22, '9.9.9.8', false), 'low-port');
    assert.equal(endpointDrop('127.0.0.1', 30303, null, false), null, 'a bootnode the user gave');
  });

  for (const allowPrivate of [false, true]) it(`a public peer's hostile records are never probed (allowPrivate ${allowPrivate}); the reasons are counted`, async () => {
    const be = secp();
    const rec = (ip: number[], udp: number) => createEnr(be.generatePrivateKey(), 1n, { ip: Uint8Array.from(ip), udp }).raw;
    const boot = createEnr(be.generatePrivateKey(), 1n, { ip: Uint8Array.of(9, 9, 9, 9), udp: 30303 });
    const replies = [
      rec([127, 0, 0, 1], 30303), rec([10, 0, 0, 5], 30303), rec([0, 0, 0, 0], 30303), rec([224, 0, 0, 1], 30303),
      rec([192, 0, 2, 7], 30303), rec([9, 9, 9, 10], 22), rec([9, 9, 9, 11], 30303),
    ];
    const probed: string[] = [];
    const client: FindNodeClient = {
      async findNode(remote, _d, events) {
        probed.push(`${remote.ip}:${remote.port}`);
        const m: Nodes = { type: MessageType.Nodes, reqId: new Uint8Array(4), total: 1, enrs: remote.ip === '9.9.9.9' ? replies : [] };
        events?.onNodes?.(m, process.hrtime.bigint(), 900);
        return { ok: true, response: m, nodes: [], complete: true, stats: { bytesOut: 1, bytesIn: 1, packetsOut: 1, packetsIn: 1, rtt1Ns: 1n, rtt2Ns: 1n, handshake: true } };
      },
    };
    const c = new Crawler({ ...DEFAULT_CRAWL_CONFIG, ratePerSec: 1000, burst: 10, allowPrivate }, client, new PrefixStrategy(), new Uint8Array(32), null);
    c.addBootnode(boot);
    await c.run();
    const extra = allowPrivate ? ['127.0.0.1:30303', '10.0.0.5:30303'] : [];
    assert.deepEqual(probed.sort(), ['9.9.9.11:30303', '9.9.9.9:30303', ...extra].sort());
    assert.deepEqual(c.droppedEndpoints, {
      unspecified: 1, multicast: 1, documentation: 1, 'low-port': 1, ...(allowPrivate ? {} : { loopback: 1, private: 1 }),
    });
    assert.equal(c.knownNodes, 8, 'the records are still known (and stored), only never visited');
  });
});

describe('the crawler\'s own endpoint', () => {
  it('is dropped as self: on the bound address, or on any host address when bound to a wildcard', () => {
    const own = new OwnEndpoints([{ ip: '0.0.0.0', port: 40000 }, { ip: '::', port: 40001 }], ['127.0.0.1', '10.1.2.3', '::1', 'FE80::1']);
    assert.equal(endpointDrop('10.1.2.3', 40000, '10.1.2.9', false, own), 'self');
    assert.equal(endpointDrop('127.0.0.1', 40000, null, false, own), 'self', 'even as a bootnode');
    assert.equal(endpointDrop('fe80::1', 40001, '10.1.2.9', true, own), 'self');
    assert.equal(endpointDrop('10.1.2.3', 40001, '10.1.2.9', false, own), null, 'another port');
    const bound = new OwnEndpoints([{ ip: '127.0.0.1', port: 40000 }], ['127.0.0.1', '10.1.2.3']);
    assert.equal(endpointDrop('10.1.2.3', 40000, '10.1.2.9', false, bound), null, 'bound to one address only');
    assert.equal(endpointDrop('127.0.0.1', 40000, '127.0.0.2', false, bound), 'self');
  });

  it('a record that names the crawler\'s own socket is never visited', async () => {
    const be = secp();
    const boot = createEnr(be.generatePrivateKey(), 1n, { ip: Uint8Array.of(127, 0, 0, 9), udp: 30303 });
    const me = createEnr(be.generatePrivateKey(), 1n, { ip: Uint8Array.of(127, 0, 0, 1), udp: 40000 }).raw;
    const probed: string[] = [];
    const client: FindNodeClient = {
      async findNode(remote, _d, events) {
        probed.push(`${remote.ip}:${remote.port}`);
        const m: Nodes = { type: MessageType.Nodes, reqId: new Uint8Array(4), total: 1, enrs: remote.ip === '127.0.0.9' ? [me] : [] };
        events?.onNodes?.(m, process.hrtime.bigint(), 900);
        return { ok: true, response: m, nodes: [], complete: true, stats: { bytesOut: 1, bytesIn: 1, packetsOut: 1, packetsIn: 1, rtt1Ns: 1n, rtt2Ns: 1n, handshake: true } };
      },
    };
    const c = new Crawler({ ...DEFAULT_CRAWL_CONFIG, ratePerSec: 1000, burst: 10 }, client, new PrefixStrategy(), new Uint8Array(32), null);
    c.own = new OwnEndpoints([{ ip: '127.0.0.1', port: 40000 }], []);
    c.addBootnode(boot);
    await c.run();
    assert.deepEqual(probed, ['127.0.0.9:30303']);
    assert.deepEqual(c.droppedEndpoints, { self: 1 });
  });
});
