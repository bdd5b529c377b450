// The report's libp2p figures on rows written by hand: a peer counts once with its latest agent and its latest
// visit's state, NAT evidence and dial failures land in their classes, a long tail of versions folds into
// "other", agent text parses into family and version, and crawls split by protocol.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PEERS, Store, VISITS, type InputRow } from '../../../src/store/index.js';
import { agentFamilySql, agentLabelSql, agentVersionSql } from '../../../src/app/agents.js';
import { DISCV5_FIGURES, MAX_BARS, scopesByProtocol, type Scope } from '../../../src/app/report-figures.js';
import { libp2pAgentFigure, libp2pDialErrorFigure, libp2pNatFigure, libp2pProtocolFigure } from '../../../src/app/report-libp2p.js';

const tmp = mkdtempSync(join(tmpdir(), 'dhtscope-report-l2p-unit-'));
const nid = (i: number) => { const b = new Uint8Array(32); new DataView(b.buffer).setUint32(28, i); return b; };
const T0 = Date.UTC(2026, 0, 2, 3, 4, 5);
/** Peers beyond the named ones, each with its own go-ipfs version: more versions than the figure draws bars. */
const TAIL = MAX_BARS + 5;

interface P { i: number; agent?: string | null; protocols?: string[] | null; nat?: boolean | null; evidence?: string | null; status?: 'measured' | 'failed'; error?: string | null; connectMs?: number | null }

function rows(crawl: number, p: P): [InputRow<typeof VISITS>, InputRow<typeof PEERS>] {
  const status = p.status ?? 'measured';
  return [{
    crawl_id: crawl, node_id: nid(p.i), ip: null, udp: null, status, error: p.error ?? null, rtt1_ms: p.connectMs === undefined ? 5 : p.connectMs, rtt2_ms: null,
    bytes_in: null, bytes_out: null, packets_in: null, packets_out: null, requests: 16, records_returned: 3, started_at: T0, ended_at: T0 + 10,
    distances: '256', dispersion_mbps: null, train_packets: null, dispersion_low_confidence: null, cpl_errors: 0,
  }, {
    crawl_id: crawl, node_id: nid(p.i), peer_id: `12D3KooWpeer${p.i}`, agent_version: p.agent === undefined ? null : p.agent, protocol_version: null,
    protocols: p.protocols ? JSON.stringify(p.protocols) : null, listen_addrs: null, dialed_addrs: '[]', nat: p.nat === undefined ? false : p.nat, nat_evidence: p.evidence ?? null,
  }];
}

let store: Store;
let scope: Scope;

describe('report: libp2p figures', () => {
  before(async () => {
    store = await Store.open(join(tmp, 'l2p.duckdb'), { flushIntervalMs: 3_600_000 });
    const disc = await store.beginCrawl({ params: {}, vantage: 'v', version: '0', strategy: 'adaptive' });
    const a = await store.beginCrawl({ params: {}, vantage: 'v', version: '0', strategy: 'buckets', protocol: 'libp2p' });
    const b = await store.beginCrawl({ params: {}, vantage: 'v', version: '0', strategy: 'buckets', protocol: 'libp2p' });
    const add = (crawl: number, p: P) => { const [v, pr] = rows(crawl, p); store.add(VISITS, v); store.add(PEERS, pr); };
    // Peer 1: identified in crawl a; in crawl b it connected and answered nothing, listing only a relay address.
    add(a, { i: 1, agent: 'kubo/0.29.0/abc', protocols: ['/ipfs/id/1.0.0', '/ipfs/kad/1.0.0'] });
    add(b, { i: 1, status: 'failed', error: 'no-answer', nat: true, evidence: 'relay-only' });
    add(b, { i: 2, agent: 'Kubo/0.30.0', protocols: ['/ipfs/kad/1.0.0'], nat: true, evidence: 'private-only' });
    add(b, { i: 3, status: 'failed', error: 'refused', connectMs: null, nat: null });
    add(b, { i: 4, agent: '', nat: false });
    for (let k = 0; k < TAIL; k++) add(b, { i: 100 + k, agent: `go-ipfs/0.${k}.0/` });
    // A discv5 visit in a crawl out of scope: never counted.
    store.add(VISITS, { ...rows(disc, { i: 9, status: 'failed', error: 'timeout' })[0], ip: '10.0.0.1', udp: 9000 });
    await store.flush();
    scope = scopesByProtocol([{ id: disc, startedAtMs: T0, protocol: null }, { id: b, startedAtMs: T0 + 2, protocol: 'libp2p' }, { id: a, startedAtMs: T0 + 1, protocol: 'libp2p' }]).libp2p!;
  });
  after(async () => { await store.close(); rmSync(tmp, { recursive: true, force: true }); });

  it('splits crawls by protocol, reading a NULL protocol as discv5', () => {
    const s = scopesByProtocol([{ id: 5, startedAtMs: 50, protocol: 'libp2p' }, { id: 1, startedAtMs: 10, protocol: null }, { id: 3, startedAtMs: 30, protocol: 'libp2p' }, { id: 4, startedAtMs: 40, protocol: 'discv5' }]);
    assert.deepEqual(s, { discv5: { crawlIds: [1, 4], latest: { id: 4, startedAtMs: 40 } }, libp2p: { crawlIds: [3, 5], latest: { id: 5, startedAtMs: 50 } } });
    assert.deepEqual(scopesByProtocol([{ id: 2, startedAtMs: 1, protocol: 'libp2p' }]).discv5, null);
    assert.deepEqual(scope.crawlIds, [2, 3]);
  });

  it('reads an agent as family and version', async () => {
    const cases: Array<[string | null, string | null, string | null, string | null]> = [
      ['kubo/0.30.0/846c5c7', 'kubo', '0.30.0', 'kubo/0.30.0'], ['js-libp2p/2.8.0 UserAgent=v20.20.2', 'js-libp2p', '2.8.0', 'js-libp2p/2.8.0'],
      ['helia/5.2.0 libp2p/2.8.0 node/20.20.2', 'helia', '5.2.0', 'helia/5.2.0'], ['go-ipfs/0.9.0/', 'go-ipfs', '0.9.0', 'go-ipfs/0.9.0'],
      ['  Storm ', 'storm', null, 'storm'], ['', 'empty', null, 'empty'], [null, null, null, null],
    ];
    for (const [agent, family, version, label] of cases) {
      const [r] = await store.query<{ f: string | null; v: string | null; l: string | null }>(
        `SELECT ${agentFamilySql('a')} AS f, ${agentVersionSql('a')} AS v, ${agentLabelSql('a')} AS l FROM (SELECT $1::VARCHAR AS a)`, [agent]);
      assert.deepEqual([r!.f, r!.v, r!.l], [family, version, label], String(agent));
    }
  });

  it('counts each peer once, with the latest agent it gave, and folds the tail of versions into "other"', async () => {
    const f = await libp2pAgentFigure(store, scope);
    const families = new Map(f.tables[0]!.rows.map((r) => [r.family, r.peers]));
    assert.deepEqual(families, new Map([['go-ipfs', TAIL], ['kubo', 2], ['empty', 1]]));
    const agents = f.tables[1]!.rows;
    assert.equal(agents.length, TAIL + 3, 'every agent string in the CSV');
    assert.equal(agents.find((r) => r.agent_version === 'kubo/0.29.0/abc')?.peers, 1, 'peer 1 keeps the agent of crawl a');
    // Peer 1 counts as measured (in crawl a), as every peer measured in some crawl in scope does.
    assert.match(f.n, new RegExp(`^${TAIL + 3} peers gave an agent, of ${TAIL + 3} measured and ${TAIL + 4} visited`));
    const versions = (f.spec as { hconcat: Array<{ data: { values: Array<{ version: string }> } }> }).hconcat[1]!.data.values;
    assert.equal(versions.length, MAX_BARS);
    assert.match(versions[MAX_BARS - 1]!.version, /^other \(\d+ versions\)$/);
  });

  it('shares protocols among the peers that listed theirs', async () => {
    const f = await libp2pProtocolFigure(store, scope);
    assert.deepEqual(f.tables[0]!.rows, [{ protocol: '/ipfs/kad/1.0.0', peers: 2, share: 1 }, { protocol: '/ipfs/id/1.0.0', peers: 1, share: 0.5 }]);
  });

  it('tells dial failures from connections that answered nothing', async () => {
    const f = await libp2pDialErrorFigure(store, scope);
    assert.deepEqual(f.tables[0]!.rows.map((r) => [r.reason, r.kind, r.visits]), [['no-answer', 'connected, no answer', 1], ['refused', 'dial failed', 1]]);
    assert.match(f.n, /^2 failed of \d+ visits .*: 1 dials failed, 1 connected without an answer$/);
  });

  it('classes each peer by its latest visit and the addresses it advertises', async () => {
    const f = await libp2pNatFigure(store, scope);
    assert.deepEqual(f.tables[0]!.rows.map((r) => [r.outcome, r.address, r.peers]), [
      ['measured', 'dialable address', TAIL + 1], ['measured', 'private-only', 1],
      ['connected, no answer', 'relay-only', 1], ['unreachable (dial failed)', 'no address known', 1],
    ]);
    assert.match(f.n, /1 unreachable, 1 connected without an answer; 2 NAT'd \(1 relay-only, 1 private-only\)$/);
  });

  it('lets every discv5 figure run on libp2p crawls (no records, NULL counters) and say what is missing', async () => {
    for (const b of DISCV5_FIGURES) {
      const f = await b(store, scope);
      assert.ok(f.spec !== null || (f.missing ?? '') !== '', f.id);
    }
  });
});
