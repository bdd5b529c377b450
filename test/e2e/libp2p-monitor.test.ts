// Issue 22's monitor Done-when: `monitor --protocol libp2p` on a churning libp2p simnet measures the script's
// churn within the discv5 monitor issue's tolerances (entered and left within 5%, median session within 15%),
// its probes are dials, and its rows name the protocol.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLibp2pSimnet } from '../../src/simnet/libp2p/simnet.js';
import { runMonitorJob } from '../../src/app/monitor-job.js';
import { campaignStats } from '../../src/app/campaign-stats.js';
import { churnTruthStats } from '../../src/app/churn-truth.js';
import { Store } from '../../src/store/index.js';
import { assertChurnMatches } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'dhtscope-l2p-monitor-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

/** Probe bounds of the compressed day: every scripted session and time down lasts several of them. */
const PROBE_MIN_MS = 1000, PROBE_MAX_MS = 5000;
const CAMPAIGN_MS = 120_000;

test('monitor --protocol libp2p measures a scripted churn: entered and left within 5%, median session within 15%', { timeout: 300_000 }, async (t) => {
  const net = await startLibp2pSimnet({
    nodes: 300, seed: 'l2p-monitor-e2e', port: 4100 + Math.floor(Math.random() * 1000), tablePeers: 20,
    churn: {
      session: { kind: 'uniform', min: 20, max: 60 }, offline: { kind: 'uniform', min: 15, max: 40 }, joins: 0,
      stable: 0.2, leaveForever: 0.1, ipChange: 0, seqBump: 0, horizonS: CAMPAIGN_MS / 1000 + 30,
    },
  });
  const db = join(dir, 'l2p.duckdb');
  const t0 = Date.now();
  let summary;
  try {
    summary = await runMonitorJob({
      protocol: 'libp2p', crawl: { bindAddress: '127.0.0.1', durationMs: 12_000 }, libp2p: { concurrency: 64 },
      monitor: { durationMs: CAMPAIGN_MS, crawlEveryMs: 20_000, probeMinMs: PROBE_MIN_MS, probeMaxMs: PROBE_MAX_MS, probeRatePerSec: 200, probeTimeoutMs: 3000, checkpointEveryMs: 5000, sampleEveryMs: 5000 },
      bootnodes: net.truth.bootnodes, dbPath: db, keyFile: null, freshIdentity: true, version: 'test',
    });
  } finally {
    await net.stop();
  }
  // The churn as it took effect: a node's stop or start under load lands a little after its scripted time.
  const churn = net.appliedChurn()!;
  assert.equal(summary.protocol, 'libp2p');
  assert.ok(summary.crawlsDone >= 5, `crawls: ${summary.crawlsDone}`);
  assert.ok(summary.probes.dial > 1000 && summary.probes.whoareyou === 0, JSON.stringify(summary.probes));
  const store = await Store.open(db);
  try {
    const [c] = await store.query<{ protocol: string }>(`SELECT protocol FROM campaigns WHERE id = $1`, [summary.campaignId]);
    assert.equal(c!.protocol, 'libp2p');
    const [k] = await store.query<{ n: bigint; l: bigint }>(`SELECT count(*) AS n, count(*) FILTER (WHERE protocol = 'libp2p') AS l FROM crawls WHERE campaign_id = $1`, [summary.campaignId]);
    assert.equal(Number(k!.n), Number(k!.l), 'every crawl of the campaign is a libp2p crawl');
    // Over the campaign minus its first crawl (sessions found up then have no known start) and its last seconds
    // (a node that went down there is not confirmed yet), as the discv5 monitor's test does.
    const from = t0 + 20_000;
    const { endAtMs } = await campaignStats(store, summary.campaignId, CAMPAIGN_MS);
    const to = endAtMs - 10_000;
    const s = await campaignStats(store, summary.campaignId, to - from, from);
    const truth = churnTruthStats(churn, from, to, endAtMs);
    t.diagnostic(assertChurnMatches(s, truth, { minEvents: 250, probeMaxMs: PROBE_MAX_MS }));
    // Nearly every node was reached (one the script took down for good before a crawl met it is never heard),
    // and the peers are grouped by their agent's family.
    assert.equal(s.all.nodes.tracked, net.truth.nodes.length, JSON.stringify(s.all.nodes));
    assert.ok(s.all.nodes.reachable >= 0.97 * net.truth.nodes.length, JSON.stringify(s.all.nodes));
    assert.ok(Object.keys(s.byNetwork).every((g) => g.startsWith('libp2p:')), Object.keys(s.byNetwork).join(','));
  } finally {
    await store.close();
  }
});
