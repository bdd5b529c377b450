import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addrScope, natOf } from '../../../src/libp2p/addrs.js';
import { LIBP2P_BOOTNODES, LIBP2P_NETWORKS } from '../../../src/libp2p/bootnodes.js';
import { parseLibp2pBootnode } from '../../../src/libp2p/crawl.js';
import { isPublicNetwork } from '../../../src/app/libp2p-crawl-job.js';

test('an address\'s scope: relay, public (IP or DNS name) or private (private, loopback, link-local)', () => {
  assert.equal(addrScope('/ip4/1.2.3.4/tcp/4001/p2p/QmaCpDMGvV2BGHeYERUEnRQAwe3N8SzbUtfsmvsqQLuvuJ/p2p-circuit'), 'relay');
  assert.equal(addrScope('/ip4/104.131.131.82/tcp/4001'), 'public');
  assert.equal(addrScope('/dnsaddr/bootstrap.libp2p.io'), 'public');
  assert.equal(addrScope('/ip6/2604:a880:1:20::203:d001/udp/4001/quic-v1'), 'public');
  assert.equal(addrScope('/ip4/192.168.1.5/tcp/4001'), 'private');
  assert.equal(addrScope('/ip4/127.0.0.1/tcp/4001'), 'private');
  assert.equal(addrScope('/ip6/fe80::1/tcp/4001'), 'private');
  assert.equal(addrScope('not a multiaddr'), null);
});

test('NAT evidence: only relay or only private addresses on a public network; private ones count as dialable on a local one', () => {
  const relay = '/ip4/1.2.3.4/tcp/4001/p2p/QmaCpDMGvV2BGHeYERUEnRQAwe3N8SzbUtfsmvsqQLuvuJ/p2p-circuit';
  assert.deepEqual(natOf([relay], true), { nat: true, evidence: 'relay-only' });
  assert.deepEqual(natOf([relay, '/ip4/10.0.0.2/tcp/4001'], true), { nat: true, evidence: 'relay-only' });
  assert.deepEqual(natOf(['/ip4/10.0.0.2/tcp/4001', '/ip4/127.0.0.1/tcp/4001'], true), { nat: true, evidence: 'private-only' });
  assert.deepEqual(natOf(['/ip4/10.0.0.2/tcp/4001', '/ip4/5.6.7.8/tcp/4001'], true), { nat: false, evidence: null });
  assert.deepEqual(natOf(['/ip4/127.60.0.1/tcp/4001'], false), { nat: false, evidence: null });
  assert.deepEqual(natOf([relay], false), { nat: true, evidence: 'relay-only' });
  assert.deepEqual(natOf([], true), { nat: null, evidence: null });
});

test('the built-in IPFS bootstrap peers parse (dnsaddr ones are resolved only when dialed) and make a public network', () => {
  assert.deepEqual(LIBP2P_NETWORKS, ['ipfs']);
  const boots = LIBP2P_BOOTNODES.ipfs;
  assert.equal(boots.length, 5);
  const ids = boots.map((b) => parseLibp2pBootnode(b).peerId.toString());
  assert.equal(new Set(ids).size, 5);
  assert.ok(ids.includes('QmaCpDMGvV2BGHeYERUEnRQAwe3N8SzbUtfsmvsqQLuvuJ'));
  assert.equal(boots.filter((b) => b.startsWith('/dnsaddr/bootstrap.libp2p.io/p2p/')).length, 4);
  assert.ok(isPublicNetwork(boots));
  assert.equal(isPublicNetwork(['/ip4/127.60.0.1/tcp/4001/p2p/QmaCpDMGvV2BGHeYERUEnRQAwe3N8SzbUtfsmvsqQLuvuJ']), false);
});
