import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BadRequest, filterQueryString, parseFilter, parseNodeId, parseNodeQuery, PAGE_SIZE_MAX } from '../../../src/web/params.js';
import { createHash } from 'node:crypto';
import { peerIdFromString } from '@libp2p/peer-id';
import { lookupNodeId } from '../../../src/web/server.js';

describe('web: query strings', () => {
  it('parses a full node query into typed values, with defaults', () => {
    const q = parseNodeQuery({ network: 'mainnet', fork: 'fulu+bpo2', client: 'lighthouse', status: 'measured', class: 'reachable', rtt_min: '5', rtt_max: '120.5',
      seen_since: '2026-12-01T00:00Z', q: ' 0abc ', sort: 'rtt_ms', order: 'desc', page: '3', per: '100' });
    assert.deepEqual(q, { network: 'mainnet', fork: 'fulu+bpo2', client: 'lighthouse', status: 'measured', class: 'reachable', rttMinMs: 5, rttMaxMs: 120.5,
      seenSinceMs: Date.parse('2026-12-01T00:00Z'), q: '0abc', sort: 'rtt_ms', desc: true, page: 3, per: 100 });
    assert.deepEqual(parseNodeQuery({}), { sort: 'node_id', desc: false, page: 1, per: 50 });
  });

  it('turns every hostile or malformed value into a BadRequest', () => {
    const bad: Array<Record<string, string>> = [
      { network: "' OR 1=1 --" }, { client: 'x;drop table visits' }, { fork: 'a'.repeat(200) }, { status: 'up' }, { class: 'left' },
      { rtt_min: '1e9' }, { rtt_max: '-1' }, { rtt_min: 'NaN' }, { seen_since: 'yesterday' }, { q: 'x'.repeat(600) },
      { sort: 'node_id;drop' }, { order: 'sideways' }, { page: '0' }, { page: '1.5' }, { per: String(PAGE_SIZE_MAX + 1) },
    ];
    for (const raw of bad) assert.throws(() => parseNodeQuery(raw), BadRequest, JSON.stringify(raw));
    assert.throws(() => parseNodeId('ab'), BadRequest);
    assert.equal(parseNodeId('AB'.repeat(32)), 'ab'.repeat(32));
  });

  it('parses the libp2p filters: the DHT protocol from its list, agents and protocol IDs as bounded printable text', () => {
    const f = parseFilter({ protocol: 'libp2p', agent: 'js-libp2p', agent_version: 'js-libp2p/2.8.0 UserAgent=v20.20.2', supports: '/ipfs/bitswap/1.2.0' });
    assert.deepEqual(f, { protocol: 'libp2p', agent: 'js-libp2p', agentVersion: 'js-libp2p/2.8.0 UserAgent=v20.20.2', supports: '/ipfs/bitswap/1.2.0' });
    assert.deepEqual(parseNodeQuery({ sort: 'peer_id' }).sort, 'peer_id');
    const bad: Array<Record<string, string>> = [{ protocol: 'ipfs' }, { protocol: 'LIBP2P' }, { agent: 'k'.repeat(200) }, { agent_version: 'a\nb' }, { supports: '\u0000' }, { sort: 'protocols' }];
    for (const raw of bad) assert.throws(() => parseNodeQuery(raw), BadRequest, JSON.stringify(raw));
    const back = Object.fromEntries(new URLSearchParams(filterQueryString(f).slice(1)));
    assert.deepEqual(parseFilter(back), f);
  });

  it('writes the filter back as a query string that parses to the same filter', () => {
    const f = parseFilter({ network: 'eth2:1a2b3c4d', client: '-', rtt_max: '50', q: 'enr:-abc' });
    const qs = filterQueryString(f, { page: 2 });
    const back = Object.fromEntries(new URLSearchParams(qs.slice(1)));
    assert.equal(back.page, '2');
    assert.deepEqual(parseFilter(back), f);
  });
});

describe('web: lookup', () => {
  it('finds a node ID from an ENR, an enode URL or the ID itself', () => {
    const enr = 'enr:-IS4QHCYrYZbAKWCBRlAy5zzaDZXJBGkcnh4MHcBFZntXNFrdvJjX04jRzjzCBOonrkTfj499SZuOh8R33Ls8RRcy5wBgmlkgnY0gmlwhH8AAAGJc2VjcDI1NmsxoQPKY0yuDUmstAHYpMa2_oxVtw0RW_QAdpzBQA8yWM0xOIN1ZHCCdl8';
    const id = 'a448f24c6d18e575453db13171562b71999873db5b286df957af199ec94617f7'; // the spec's example record
    assert.equal(lookupNodeId(enr), id);
    assert.equal(lookupNodeId(id.toUpperCase()), id);
    // The same key as an enode URL (uncompressed, without the 04 prefix).
    const enode = 'enode://ca634cae0d49acb401d8a4c6b6fe8c55b70d115bf400769cc1400f3258cd31387574077f301b421bc84df7266c44e9e6d569fc56be00812904767bf5ccd1fc7f@127.0.0.1:30303';
    assert.equal(lookupNodeId(enode), id);
    // A libp2p peer ID leads to its Kademlia ID, SHA-256 of the peer ID's bytes: an Ed25519 ID as a crawl stored it, and an RSA one (Qm…).
    assert.equal(lookupNodeId('12D3KooWBXKyysPyMwAHDqMA6rdLhCMikzzCvnZEBvrLSS7YXsbZ'), '01d06d2780d4310fddf646578b05a521eaf2d3417c88d45d10fe5f7554f6be0b');
    const qm = 'QmNnooDu7bfjPFoTZYxMNLWUQJyrVwtbZg5gBMjTezGAJN';
    assert.equal(lookupNodeId(qm), createHash('sha256').update(peerIdFromString(qm).toMultihash().bytes).digest('hex'));
    assert.throws(() => lookupNodeId('12D3KooWnotapeer'), BadRequest);
    assert.throws(() => lookupNodeId('enr:garbage'), BadRequest);
    assert.throws(() => lookupNodeId('hello'), BadRequest);
  });
});
