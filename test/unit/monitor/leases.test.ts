// Shard leases and the probe feed of a shared campaign, on a PostgreSQL store: the shards split fairly and never
// overlap, a vantage that stops renewing loses its shards to the others once its leases lapse, and one vantage's
// probe rows reach the other's tracker.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Store, PROBES } from '../../../src/store/index.js';
import { SHARDS, ShardLeases } from '../../../src/monitor/leases.js';
import { ProbeFeed } from '../../../src/monitor/probe-feed.js';
import { Tracker } from '../../../src/monitor/tracker.js';
import { DEFAULT_MONITOR_CONFIG } from '../../../src/monitor/config.js';
import { freshPgDb, PG_SKIP, pgExec } from '../../pg.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const owned = (l: ShardLeases) => new Set(l.heldShards());

test('shards split between vantages without overlap, and a silent vantage\'s shards are taken once its leases lapse', { skip: PG_SKIP }, async () => {
  const url = await freshPgDb('leases');
  const store = await Store.open(url);
  try {
    const camp = await store.beginCampaign({ params: {}, vantage: 'a', version: 't', sharedName: 'x' });
    assert.equal(await store.beginCampaign({ params: {}, vantage: 'b', version: 't', sharedName: 'x' }), camp, 'the second monitor joins the first one\'s campaign');
    // What a sees when it lets go of shards: they are no longer its own, and the database still holds them for it.
    const atRelease: { ownsFirst: boolean; heldInDb: number }[] = [];
    const beforeRelease = async () => {
      const r = await pgExec(url, `SELECT count(*)::int AS n FROM probe_leases WHERE campaign_id = $1 AND holder = 'a' AND expires_at > now()`, [camp]);
      atRelease.push({ ownsFirst: a.owns(SHARDS - 1), heldInDb: r.rows[0].n });
    };
    const a: ShardLeases = new ShardLeases(store, camp, 'a', 60_000, beforeRelease), b = new ShardLeases(store, camp, 'b', 60_000), c = new ShardLeases(store, camp, 'c', 600);
    await a.init(); await b.init(); await c.init();
    assert.equal((await a.round()).round.held, SHARDS, 'alone, a takes every shard');
    assert.equal((await b.round()).round.held, 0, 'nothing is free yet');
    const ra = await a.round();
    assert.equal(ra.round.released.length, SHARDS / 2, 'a lets go of what is past its share');
    assert.ok(ra.nextInMs <= 60_000 / 3);
    assert.deepEqual(atRelease, [{ ownsFirst: false, heldInDb: SHARDS }], 'the hook runs once, after a stops owning and before the database frees them');
    assert.equal((await b.round()).round.taken.length, SHARDS / 2);
    await c.round(); await a.round(); await b.round(); await c.round();
    const [sa, sb, sc] = [owned(a), owned(b), owned(c)];
    assert.equal(sa.size + sb.size + sc.size, SHARDS, JSON.stringify([sa.size, sb.size, sc.size]));
    for (const s of sa) assert.ok(!sb.has(s) && !sc.has(s), `shard ${s} held twice`);
    for (const s of sb) assert.ok(!sc.has(s), `shard ${s} held twice`);
    assert.ok(Math.min(sa.size, sb.size, sc.size) >= Math.floor(SHARDS / 3) - 1, JSON.stringify([sa.size, sb.size, sc.size]));
    // c stops renewing (killed): its 600 ms leases lapse and its own view of them ends with them.
    const cHeld = [...sc];
    await sleep(700);
    assert.equal(c.owns(cHeld[0]!), false, 'a vantage that could not renew stops probing before its lease lapses');
    const rb = await b.round();
    const ra2 = await a.round();
    const takenBy = [...rb.round.taken, ...ra2.round.taken];
    assert.deepEqual(takenBy.sort((x, y) => x - y), cHeld.sort((x, y) => x - y), 'the others take exactly c\'s shards');
    const rows = await pgExec(url, `SELECT count(*)::int AS n FROM probe_leases WHERE campaign_id = $1 AND taken_from = 'c'`, [camp]);
    assert.equal(rows.rows[0].n, cHeld.length, 'each takeover names the vantage it came from');
    await a.releaseAll();
    assert.equal(await b.othersLive(), false, 'a let go of everything; c is gone');
    assert.equal(owned(a).size, 0);
  } finally {
    await store.close();
  }
});

test('one vantage\'s probe rows reach another\'s tracker, in time order, from where it starts reading', { skip: PG_SKIP }, async () => {
  const url = await freshPgDb('feed');
  const store = await Store.open(url);
  try {
    const camp = await store.beginCampaign({ params: {}, vantage: 'a', version: 't', sharedName: 'y' });
    const id = new Uint8Array(32).fill(7);
    const t = Date.now();
    const row = (seq: number, sentMs: number, ok: boolean) => ({
      campaign_id: camp, vantage: 'a', seq_no: BigInt(seq), node_id: id, ip: '127.0.0.9', udp: 9000, enr_seq: 3n, sent_at: sentMs, ok: ok ? 1 : 0, rtt_ms: ok ? 12 : null,
    });
    store.add(PROBES, row(1, t - 10 * 60_000, true)); // before the reader's start: skipped
    store.add(PROBES, row(2, t - 1000, true));
    store.add(PROBES, row(3, t - 500, false));
    await store.flush();
    const tracker = new Tracker({ ...DEFAULT_MONITOR_CONFIG, failuresToEnd: 2 }, { sessionEnded: () => {}, changed: () => {} });
    const feed = new ProbeFeed(store, camp, 'b', tracker, t - 60_000);
    assert.equal(await feed.poll(['a', 'b']), 2);
    const n = tracker.get(id)!;
    assert.ok(n, 'a node only the other vantage probed is tracked');
    assert.equal(n.seq, 3n);
    assert.equal(n.up, true);
    assert.equal(n.lastOkMs, t - 1000 + 12, 'an answer counts at send + round trip');
    assert.equal(n.failRun, 1);
    store.add(PROBES, row(4, t - 100, false));
    await store.flush();
    assert.equal(await feed.poll(['a']), 1, 'the next poll reads only the new row');
    assert.equal(n.up, false, 'the second failure in a row ended the session');
  } finally {
    await store.close();
  }
});
