// The --geo figures of libp2p peers: each peer is placed by the first routable IPv4 address it was dialed at,
// not by a private one listed before it; a peer with private addresses only counts as not listed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { geoFigures } from '../../../src/app/report-geo.js';
import { geoFilesInDir } from '../../../src/app/geo.js';
import { PEERS, Store, StoreReader, VISITS } from '../../../src/store/index.js';
import { repoRoot } from '../../helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'dhtscope-geo-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

test('libp2p peers are placed by their first routable IPv4 address', async () => {
  const db = join(tmp, 'geo.duckdb');
  const s = await Store.open(db, { flushIntervalMs: 3_600_000 });
  const crawl = await s.beginCrawl({ params: {}, vantage: 'v', version: '0', strategy: 'buckets', protocol: 'libp2p' });
  // The fixture's ranges: 1.0.0.0/24 is AU; 10/8 and 192.168/16 are in none.
  const peers: Array<[string[], boolean]> = [
    [['/ip4/10.1.2.3/tcp/4001', '/ip4/1.0.0.5/tcp/4001'], true],
    [['/ip4/1.0.0.9/tcp/4001'], false],
    [['/ip4/192.168.1.1/tcp/4001', '/ip6/::1/tcp/4001'], true],
  ];
  peers.forEach(([addrs, measured], i) => {
    const id = new Uint8Array(32).fill(i + 1);
    s.add(VISITS, {
      crawl_id: crawl, node_id: id, ip: null, udp: null, status: measured ? 'measured' : 'failed', error: measured ? null : 'refused', rtt1_ms: null,
      rtt2_ms: null, bytes_in: null, bytes_out: null, packets_in: null, packets_out: null, requests: 16, records_returned: 0, started_at: 1, ended_at: 2,
      distances: '', dispersion_mbps: null, train_packets: null, dispersion_low_confidence: null, cpl_errors: 0,
    });
    s.add(PEERS, {
      crawl_id: crawl, node_id: id, peer_id: `p${i}`, agent_version: null, protocol_version: null, protocols: null, listen_addrs: null,
      dialed_addrs: JSON.stringify(addrs), nat: null, nat_evidence: null,
    });
  });
  await s.endCrawl(crawl, {});
  await s.close();
  const geo = geoFilesInDir(join(repoRoot(), 'test', 'fixtures', 'geo'));
  const r = await StoreReader.open(db, { memoryLimitMB: 128, allowedPaths: [geo.countryCsv, geo.asnCsv] });
  try {
    const [country] = await geoFigures(r, { crawlIds: [crawl], latest: { id: crawl, startedAtMs: 0 } }, geo, 'libp2p');
    assert.equal(country!.id, 'libp2p-geo-country');
    assert.deepEqual(country!.tables[0]!.rows, [
      { country: 'AU', peers: 2, measured: 1 },
      { country: 'not listed (private or unrouted)', peers: 1, measured: 1 },
    ]);
  } finally {
    r.close();
  }
});
