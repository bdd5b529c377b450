// Several vantages' campaigns in one store: each vantage's node classes, and merged ones in which a node is
// unreachable only when no vantage reached it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { campaignStats, vantagesStats } from '../../../src/app/campaign-stats.js';
import { Store, StoreReader, UPTIME_SESSIONS, VISITS } from '../../../src/store/index.js';
import { TEST_BACKENDS } from '../../pg.js';

const tmp = mkdtempSync(join(tmpdir(), 'dhtscope-vantages-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
const nid = (i: number) => { const b = new Uint8Array(32); new DataView(b.buffer).setUint32(28, i); return b; };
const T0 = Date.UTC(2026, 6, 1);

/** A vantage's campaign with one crawl: nodes in `answered` answer (and get a session), the others in `visited` never do. */
async function vantage(s: Store, name: string, visited: readonly number[], answered: ReadonlySet<number>): Promise<number> {
  const camp = await s.beginCampaign({ params: {}, vantage: name, version: '0', startedAtMs: T0, vantageAddr: `127.0.0.${name.length}:9000` });
  const crawl = await s.beginCrawl({ params: {}, vantage: name, version: '0', strategy: 's', startedAtMs: T0, campaignId: camp });
  for (const i of visited) {
    const ok = answered.has(i);
    s.add(VISITS, {
      crawl_id: crawl, node_id: nid(i), ip: '10.0.0.1', udp: 9000, status: ok ? 'measured' : 'failed', error: ok ? null : 'timeout', rtt1_ms: ok ? 5 : null,
      rtt2_ms: null, bytes_in: 0, bytes_out: 0, packets_in: 0, packets_out: 0, requests: 1, records_returned: 0, started_at: T0, ended_at: T0 + 1,
      distances: '256', dispersion_mbps: null, train_packets: null, dispersion_low_confidence: null, cpl_errors: null,
    });
    if (ok) {
      s.add(UPTIME_SESSIONS, {
        campaign_id: camp, node_id: nid(i), ip: '10.0.0.1', udp: 9000, started_at: T0, last_ok: T0 + 1000, first_fail: null, ended_at: null,
        answers: 1, failures: 0, open: true, observed_start: false, new_node: false, end_reason: null, snapshot: 1, vantage: null, last_fail: null,
      });
    }
  }
  await s.endCrawl(crawl, {});
  await s.endCampaign(camp, {});
  return camp;
}

for (const be of TEST_BACKENDS) test(`[${be.name}] vantages side by side and merged: unreachable only when no vantage reached the node`, { skip: be.skip }, async () => {
  const db = await be.db(tmp, 'vantages');
  const s = await Store.open(db, { flushIntervalMs: 3_600_000 });
  const all = Array.from({ length: 10 }, (_, i) => i);
  await vantage(s, 'a', all, new Set()); // an older campaign of a: not its latest, left out
  const a = await vantage(s, 'a', all, new Set([0, 1, 2, 3, 4, 5])); // 6..9 never answer a
  const b = await vantage(s, 'bb', [0, 1, 2, 6, 7, 10], new Set([0, 6, 10])); // 6 and 10 answer b only
  await s.close();
  const r = await StoreReader.open(db, { memoryLimitMB: 128 });
  try {
    const v = await vantagesStats(r);
    const byName = Object.fromEntries(v.vantages.map((x) => [x.vantage, x]));
    assert.deepEqual(byName.a, { vantage: 'a', vantageAddr: '127.0.0.1:9000', campaignId: a, tracked: 10, reachable: 6, unreachable: 4, onlyHere: 5 });
    assert.deepEqual(byName.bb, { vantage: 'bb', vantageAddr: '127.0.0.2:9000', campaignId: b, tracked: 6, reachable: 3, unreachable: 3, onlyHere: 2 });
    // Nodes 0..10: reached by a (0-5) or b (0, 6, 10); 7, 8, 9 by neither. 6 would look unreachable from a alone, 1 and 2 from b alone.
    assert.deepEqual(v.merged, { tracked: 11, reachable: 8, unreachable: 3, reachableFromSome: 3 });
  } finally {
    r.close();
  }
});

test('a session starts halfway between the failure before it and its first answer, as it ends halfway', async () => {
  const db = join(tmp, 'start-estimate.duckdb');
  const s = await Store.open(db, { flushIntervalMs: 3_600_000 });
  const camp = await s.beginCampaign({ params: {}, vantage: 'v', version: '0', startedAtMs: T0 });
  const sec = (x: number) => T0 + x * 1000;
  const session = (i: number, lastFail: number | null, start: number, lastOk: number, firstFail: number) => s.add(UPTIME_SESSIONS, {
    campaign_id: camp, node_id: nid(i), ip: '10.0.0.1', udp: 9000, started_at: sec(start), last_ok: sec(lastOk), first_fail: sec(firstFail), ended_at: sec(firstFail + 2),
    answers: 3, failures: 3, open: false, observed_start: true, new_node: false, end_reason: 'down', snapshot: null, vantage: null, last_fail: lastFail === null ? null : sec(lastFail),
  });
  // Came up between 10 s and 20 s (taken at 15 s), went down between 60 s and 70 s (65 s): up 50 s.
  session(1, 10, 20, 60, 70);
  // A row from before schema 12 (no failure kept): its start is its first answer.
  session(2, null, 30, 40, 50);
  await s.endCampaign(camp, { endedAtMs: sec(100) });
  await s.close();
  const r = await StoreReader.open(db, { memoryLimitMB: 128 });
  try {
    const st = await campaignStats(r, camp, 84_000, sec(16));
    assert.equal(st.all.windows[0]!.entered, 1, 'only the session that started after 16 s');
    assert.equal(st.all.windows[0]!.left, 2);
    // Up 50 s, and 15 s (30 s to 45 s): the first answer alone would have made the first 45 s.
    const curve = st.all.sessionLength.curve;
    assert.deepEqual(curve.map((p) => p.tMs), [15_000, 50_000], JSON.stringify(curve));
  } finally {
    r.close();
  }
});
