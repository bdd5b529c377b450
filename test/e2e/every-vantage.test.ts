// Issue 21's optional mode: two monitors share one campaign with --every-vantage, so each probes every node and
// writes its own sessions. Checked from the rows: each vantage has its own session for the nodes that stay up,
// stats splits the campaign by vantage (each view's churn matching the script), --vantages compares them, and a
// monitor that would split the probes is refused from such a campaign in one line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSimnet } from '../../src/simnet/simnet.js';
import { campaignStats, perVantageViews, vantagesStats } from '../../src/app/campaign-stats.js';
import { churnTruthStats } from '../../src/app/churn-truth.js';
import { StoreReader } from '../../src/store/index.js';
import { runReport } from '../../src/app/report-job.js';
import { freshPgDb, PG_SKIP } from '../pg.js';

const dir = mkdtempSync(join(tmpdir(), 'dhtscope-every-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const bin = fileURLToPath(new URL('../../../bin/dhtscope.js', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const CAMPAIGN_MS = 90_000;
const PROBE_MIN_MS = 1000, PROBE_MAX_MS = 5000;

function run(args: string[]): { child: ChildProcess; err: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  return { child, err: () => err, exit: new Promise((r) => child.once('exit', (c) => r(c))) };
}

test('with --every-vantage each vantage probes every node and stats shows each vantage\'s view', { skip: PG_SKIP, timeout: 240_000 }, async (t) => {
  const db = await freshPgDb('every');
  const truthFile = join(dir, 'truth.json');
  const net = await startSimnet({
    nodes: 200, dead: 50, seed: 'every-vantage', port: 20000 + Math.floor(Math.random() * 20000), shards: 1, truthFile,
    churn: {
      session: { kind: 'uniform', min: 20, max: 50 }, offline: { kind: 'uniform', min: 15, max: 30 }, joins: 0,
      stable: 0.3, leaveForever: 0.1, ipChange: 0, seqBump: 0, horizonS: CAMPAIGN_MS / 1000 + 30,
    },
  });
  const t0 = Date.now();
  const common = (v: string, i: number) => [
    'monitor', '--simnet', truthFile, '--db', db, '--campaign', 'both', '--vantage', v, '--bind', `127.0.0.${i + 2}`, '--fresh-identity',
    '--checkpoint', join(dir, `${v}.monitor`), '--threads', '1', '--rate', '300', '--crawl-every', '15s', '--crawl-max', '8s',
    '--probe-min', `${PROBE_MIN_MS / 1000}s`, '--probe-max', `${PROBE_MAX_MS / 1000}s`, '--probe-rate', '200', '--checkpoint-every', '5s', '--sample-every', '5s',
    '--lease', '6s', '--json',
  ];
  try {
    const monitors = ['va', 'vb'].map((v, i) => run([...common(v, i), '--every-vantage', '--duration', `${CAMPAIGN_MS / 1000}s`]));
    await sleep(10_000);
    // A monitor that would split the probes cannot join: one line, exit 2.
    const wrong = spawnSync(process.execPath, [bin, ...common('vc', 2), '--duration', '5s'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(wrong.status, 2, wrong.stderr);
    assert.match(wrong.stderr, /--every-vantage/);
    assert.equal(wrong.stderr.trim().split('\n').length, 1, wrong.stderr);
    for (const m of monitors) assert.equal(await m.exit, 0, m.err());
  } finally {
    await net.stop();
  }

  const reader = await StoreReader.open(db, { memoryLimitMB: 512 });
  try {
    const [c] = await reader.query<{ id: number }>(`SELECT id FROM campaigns WHERE shared_name = 'both'`);
    assert.deepEqual(await perVantageViews(reader, c!.id), ['va', 'vb']);
    // The nodes that never go down: each vantage holds its own (open) session of nearly all of them.
    const churned = new Set(net.truth.churn!.events.map((e) => e.nodeId));
    const stable = net.truth.live.filter((l) => !churned.has(l.nodeId)).map((l) => `'${l.nodeId}'`).join(',');
    const per = await reader.query<{ vantage: string; n: bigint }>(
      `SELECT vantage, count(DISTINCT node_id) AS n FROM uptime_sessions WHERE campaign_id = $1 AND node_id IN (${stable}) GROUP BY vantage ORDER BY vantage`, [c!.id]);
    const nStable = stable.split(',').length;
    for (const r of per) assert.ok(Number(r.n) >= 0.95 * nStable, `${r.vantage}: sessions of ${r.n} of ${nStable} stable nodes`);
    assert.equal(per.length, 2);
    // Each vantage's view measures the script's churn on its own.
    const from = t0 + 20_000;
    for (const v of ['va', 'vb']) {
      const { endAtMs } = await campaignStats(reader, c!.id, CAMPAIGN_MS, undefined, v);
      const to = endAtMs - 10_000;
      const s = await campaignStats(reader, c!.id, to - from, from, v);
      const w = s.all.windows[0]!;
      const truth = churnTruthStats(net.truth.churn!, from, to, endAtMs);
      const detail = JSON.stringify({ v, measured: { entered: w.entered, left: w.left }, truth });
      t.diagnostic(detail);
      assert.ok(truth.left > 60, `the script must churn enough to test: ${detail}`);
      assert.ok(Math.abs(w.entered - truth.entered) <= 0.1 * truth.entered, `entered: ${detail}`);
      assert.ok(Math.abs(w.left - truth.left) <= 0.1 * truth.left, `left: ${detail}`);
    }
    const vs = await vantagesStats(reader);
    assert.deepEqual(vs.vantages.map((x) => x.vantage), ['va', 'vb']);
    for (const x of vs.vantages) assert.ok(x.reachable >= 0.9 * net.truth.live.length, JSON.stringify(vs));
  } finally {
    await reader.close();
  }
  // The report draws each vantage's churn and sessions, not one merged count.
  const reportDir = join(dir, 'report');
  await runReport({ dbPath: db, outDir: reportDir, sinceMs: 0, windowMs: 30_000, dbMemoryMB: 256, toolVersion: 'test' });
  for (const f of ['campaign-churn', 'campaign-sessions']) {
    const lines = readFileSync(join(reportDir, `${f}.csv`), 'utf8').trimEnd().split('\n');
    assert.equal(lines[0]!.split(',')[0], 'vantage', f);
    assert.deepEqual([...new Set(lines.slice(1).map((l) => l.split(',')[0]))].sort(), ['va', 'vb'], f);
  }
  // The command line shows both views.
  const out = spawnSync(process.execPath, [bin, 'stats', '--db', db, '--json'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(out.status, 0, out.stderr);
  assert.deepEqual((JSON.parse(out.stdout) as { vantages: { vantage: string }[] }).vantages.map((x) => x.vantage), ['va', 'vb']);
});
