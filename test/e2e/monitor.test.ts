import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSimnet } from '../../src/simnet/simnet.js';
import { runMonitorJob } from '../../src/app/monitor-job.js';
import { campaignStats } from '../../src/app/campaign-stats.js';
import { churnTruthStats } from '../../src/app/churn-truth.js';
import { Store } from '../../src/store/index.js';
import { runReport } from '../../src/app/report-job.js';
import { assertChurnMatches, assertPng } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'dhtscope-monitor-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const bin = fileURLToPath(new URL('../../../bin/dhtscope.js', import.meta.url));
const randomPort = () => 20000 + Math.floor(Math.random() * 20000);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Probe bounds of the compressed day: every scripted session and time down lasts several of them. */
const PROBE_MIN_MS = 1000, PROBE_MAX_MS = 5000;
const CAMPAIGN_MS = 120_000;

test('monitor measures a scripted churn: entered and left within 5%, median session within 15%, NAT\'d nodes unreachable', { timeout: 300_000 }, async () => {
  const net = await startSimnet({
    nodes: 500, dead: 300, natFraction: 0.04, seed: 'monitor-e2e', port: randomPort(), shards: 1,
    churn: {
      session: { kind: 'uniform', min: 20, max: 60 }, offline: { kind: 'uniform', min: 15, max: 40 }, joins: 50,
      stable: 0.2, leaveForever: 0.1, ipChange: 0.05, seqBump: 0.1, horizonS: CAMPAIGN_MS / 1000 + 30,
    },
  });
  const db = join(dir, 'churn.duckdb');
  const t0 = Date.now();
  let summary;
  try {
    summary = await runMonitorJob({
      crawl: { ratePerSec: 500, threads: 1, allowPrivate: true, bindAddress: '127.0.0.1', durationMs: 8000 },
      monitor: { durationMs: CAMPAIGN_MS, crawlEveryMs: 10_000, probeMinMs: PROBE_MIN_MS, probeMaxMs: PROBE_MAX_MS, probeRatePerSec: 500, checkpointEveryMs: 5000, sampleEveryMs: 5000 },
      bootnodes: net.truth.bootnodes, dbPath: db, keyFile: null, freshIdentity: true, version: 'test',
    });
  } finally {
    await net.stop();
  }
  const churn = net.truth.churn!;
  assert.ok(summary.crawlsDone >= 10, `crawls: ${summary.crawlsDone}`);
  const store = await Store.open(db);
  try {
    // Compare over the campaign minus its first crawl (sessions found up then have no known start) and its last
    // seconds (a node that went down there is not confirmed yet).
    const from = t0 + 15_000;
    const { endAtMs } = await campaignStats(store, summary.campaignId, CAMPAIGN_MS);
    const to = endAtMs - 10_000;
    const s = await campaignStats(store, summary.campaignId, to - from, from);
    assertChurnMatches(s, churnTruthStats(churn, from, to, endAtMs), { minEvents: 300, probeMaxMs: PROBE_MAX_MS });
    // NAT'd nodes: listed and visited, never answering, never a session (so never left).
    const nat = net.truth.nat.map((x) => `'${x.nodeId}'`).join(',');
    const [v] = await store.query<{ visited: bigint; ok: bigint }>(
      `SELECT count(DISTINCT node_id) AS visited, count(DISTINCT node_id) FILTER (WHERE status = 'measured') AS ok FROM visits WHERE node_id IN (${nat})`);
    const [ss] = await store.query<{ n: bigint }>(`SELECT count(*) AS n FROM uptime_sessions WHERE node_id IN (${nat})`);
    assert.ok(Number(v!.visited) >= 0.99 * net.truth.nat.length, `NAT'd nodes visited: ${v!.visited} of ${net.truth.nat.length}`);
    assert.equal(Number(v!.ok), 0);
    assert.equal(Number(ss!.n), 0, 'no NAT\'d node has a session, so none is counted as left');
    assert.ok(s.all.nodes.unreachable >= net.truth.nat.length, JSON.stringify(s.all.nodes));
    // Changes: the script moved some nodes and bumped others' seq; the crawls learn most of them.
    const moved = churn.events.filter((e) => e.kind === 'up' && e.ip !== net.truth.live.find((l) => l.nodeId === e.nodeId)?.ip).length;
    const [ch] = await store.query<{ a: bigint }>(`SELECT count(*) FILTER (WHERE kind = 'address') AS a FROM node_changes`);
    assert.ok(moved === 0 || Number(ch!.a) > 0, `address changes recorded: ${ch!.a} (script moved ${moved})`);
  } finally {
    await store.close();
  }
  // The report over every crawl of the campaign draws its campaign figures too.
  const out = join(dir, 'churn-report');
  const r = await runReport({ dbPath: db, outDir: out, sinceMs: 0, windowMs: 20_000, dbMemoryMB: 256, toolVersion: 'test' });
  assert.equal(r.campaignId, summary.campaignId);
  assert.equal(r.crawlIds.length, summary.crawlsDone);
  for (const f of ['campaign-active', 'campaign-churn', 'campaign-sessions', 'accumulation']) assertPng(readFileSync(join(out, `${f}.png`)));
  const windows = readFileSync(join(out, 'campaign-churn.csv'), 'utf8').trimEnd().split('\n').slice(1);
  assert.ok(windows.length >= 3, windows.join('\n'));
  const entered = windows.reduce((n, l) => n + Number(l.split(',')[4]), 0);
  assert.ok(entered > 300, `entered over the windows: ${entered}`);
  assert.match(readFileSync(join(out, 'accumulation.csv'), 'utf8'), /^crawl_no,node_ids,endpoints\n1,/);
});

interface Run { child: ChildProcess; out: () => string; err: () => string; exit: Promise<number | null> }
function run(args: string[]): Run {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', err = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  return { child, out: () => out, err: () => err, exit: new Promise((r) => child.once('exit', (c) => r(c))) };
}

/** Parses Prometheus text exposition strictly enough to catch a malformed line; returns samples by series. */
function parsePrometheus(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    let m = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (m) { if (m[1] === 'TYPE') { assert.match(m[3]!, /^(counter|gauge|histogram|summary|untyped)$/); types.set(m[2]!, m[3]!); } continue; }
    m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? (-?[0-9.e+-]+|NaN|\+Inf|-Inf)$/.exec(line);
    assert.ok(m, `malformed metrics line: ${line}`);
    const base = m[1]!.replace(/_(bucket|sum|count)$/, '');
    assert.ok(types.has(m[1]!) || types.has(base), `no TYPE for ${m[1]}`);
    samples.set(m[1]! + (m[2] ?? ''), Number(m[3]));
  }
  return samples;
}

test('monitor resumes after SIGKILL: one campaign, a gap, no duplicate or false-left sessions; /metrics parses', { timeout: 240_000 }, async () => {
  const truthFile = join(dir, 'static-truth.json');
  const net = await startSimnet({ nodes: 300, dead: 200, seed: 'monitor-resume', port: randomPort(), shards: 1, truthFile });
  const db = join(dir, 'resume.duckdb');
  const metricsPort = randomPort();
  const common = ['monitor', '--simnet', truthFile, '--db', db, '--fresh-identity', '--bind', '127.0.0.1', '--threads', '1', '--crawl-every', '8s',
    '--probe-min', '1s', '--probe-max', '3s', '--checkpoint-every', '2s', '--sample-every', '2s', '--json'];
  try {
    const first = run([...common, '--metrics-port', String(metricsPort)]);
    // Metrics while it runs.
    let text = '';
    for (let i = 0; i < 50 && !text.includes('dhtscope_probes_total{'); i++) {
      await sleep(200);
      text = await fetch(`http://127.0.0.1:${metricsPort}/metrics`).then((r) => r.text(), () => '');
    }
    const m = parsePrometheus(text);
    assert.ok((m.get('dhtscope_nodes{state="tracked"}') ?? 0) > 0, text.slice(0, 400));
    assert.ok([...m.keys()].some((k) => k.startsWith('dhtscope_probe_rtt_seconds_bucket')));
    assert.ok(m.has('dhtscope_queue_length{queue="store_write"}') && m.has('dhtscope_rate_limit_per_second{budget="probe"}'));
    assert.equal((await fetch(`http://127.0.0.1:${metricsPort}/nope`)).status, 404);
    const status = await (await fetch(`http://127.0.0.1:${metricsPort}/status`)).json() as { tracked: number; campaignId: number };
    assert.equal(status.campaignId, 1);
    assert.ok(status.tracked > 0);
    // Kill it once a checkpoint exists and probing is under way.
    for (let i = 0; i < 100 && !existsSync(db + '.monitor'); i++) await sleep(100);
    await sleep(3000);
    first.child.kill('SIGKILL');
    await first.exit;
    const killedAt = Date.now();
    await sleep(4000); // the outage
    const second = run([...common, '--duration', '8s']);
    const code = await second.exit;
    assert.equal(code, 0, second.err());
    const summary = JSON.parse(second.out().trim().split('\n').pop()!) as { resumed: boolean; gapMs: number; campaignId: number };
    assert.equal(summary.resumed, true);
    assert.ok(summary.gapMs >= 4000, `gap ${summary.gapMs}`);
    const store = await Store.open(db);
    try {
      assert.equal((await store.query(`SELECT id FROM campaigns`)).length, 1, 'one campaign, continued');
      const gaps = await store.query<{ reason: string; f: bigint; t: bigint }>(`SELECT reason, epoch_ms(from_at) AS f, epoch_ms(to_at) AS t FROM monitor_gaps`);
      assert.equal(gaps.length, 1);
      assert.equal(gaps[0]!.reason, 'crash');
      assert.ok(Number(gaps[0]!.f) <= killedAt && Number(gaps[0]!.t) >= killedAt + 4000);
      const [dups] = await store.query<{ n: bigint }>(`SELECT count(*) AS n FROM (SELECT node_id, started_at FROM uptime_sessions GROUP BY ALL HAVING count(*) > 1)`);
      assert.equal(Number(dups!.n), 0, 'no session written twice');
      // Nothing in this network ever goes down: a session closed by the outage would be a false "left".
      const [closed] = await store.query<{ n: bigint; open: bigint }>(`SELECT count(*) FILTER (WHERE NOT open) AS n, count(*) FILTER (WHERE open) AS open FROM uptime_sessions`);
      assert.equal(Number(closed!.n), 0, 'no false left');
      assert.ok(Number(closed!.open) >= 290, `open sessions: ${closed!.open}`);
      const [c] = await store.query<{ e: unknown }>(`SELECT ended_at AS e FROM campaigns`);
      assert.ok(c!.e !== null, 'the clean stop is stamped');
    } finally {
      await store.close();
    }
    // stats reads it.
    const st = run(['stats', '--db', db, '--window', '10s', '--json']);
    assert.equal(await st.exit, 0, st.err());
    const stats = JSON.parse(st.out()) as { all: { nodes: { up: number; left: number } }; gaps: unknown[] };
    assert.equal(stats.all.nodes.left, 0);
    assert.equal(stats.gaps.length, 1);
    // A checkpoint that belongs to another database is refused with its own exit code, naming the fix.
    const other = run(['monitor', '--simnet', truthFile, '--db', join(dir, 'other.duckdb'), '--checkpoint', db + '.monitor', '--fresh-identity', '--duration', '2s']);
    assert.equal(await other.exit, 4);
    assert.match(other.err(), /--new-campaign/);
    assert.equal(other.err().trim().split('\n').length, 1);
  } finally {
    await net.stop();
  }
});

test('monitor rejects bad flags with one line and exit 2', async () => {
  for (const args of [['--probe-min', '10s', '--probe-max', '1s'], ['--probe-factor', '0-1'], ['--crawl-every', 'soon'], ['--failures', '0']]) {
    const r = run(['monitor', '--bootnode', 'enr:-bad', '--db', join(dir, 'bad.duckdb'), ...args]);
    assert.equal(await r.exit, 2, `${args.join(' ')}: ${r.err()}`);
    assert.equal(r.err().trim().split('\n').length, 1, r.err());
  }
  const h = run(['monitor', '--help']);
  assert.equal(await h.exit, 0);
  assert.match(h.out(), /--probe-rate/);
});
