import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/io.js';
import { Store } from '../../src/store/index.js';
import { assertPng } from '../helpers.js';

const PORT = 20000 + Math.floor(Math.random() * 20000);
const dir = mkdtempSync(join(tmpdir(), 'dhtscope-compare-'));
const STRATEGIES = ['prefix', 'sweep', 'random', 'trie'];
/** prefix asks distances 256..241 only; on 1,500 records its deepest buckets are empty (see below). */
const PREFIX_MIN_LIVE = 0.95;

function capture(): CliIo & { outs: string[]; errs: string[] } {
  const outs: string[] = [], errs: string[] = [];
  return { outs, errs, out: (l) => outs.push(l), err: (l) => errs.push(l), isTty: false };
}

describe('e2e: dhtscope compare on a small simnet', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('crawls with every strategy in rotated order and reports table, JSON lines, DuckDB and plots', { timeout: 150_000 }, async () => {
    const out = join(dir, 'out');
    const io = capture();
    const code = await main(['compare', '--strategies', STRATEGIES.join(','), '--nodes', '600', '--dead', '900', '--runs', '2',
      '--seed', '4', '--rtt', '1-20', '--rate', '1500', '--port', String(PORT), '--out', out, '--json'], io);
    assert.equal(code, 0, io.errs.join('\n'));
    assert.ok(io.errs.some((l) => /simnet ready/.test(l)), 'progress goes to stderr');

    // One JSON object per strategy per line, in the order given.
    assert.equal(io.outs.length, STRATEGIES.length, io.outs.join('\n'));
    const rows = io.outs.map((l) => JSON.parse(l));
    assert.deepEqual(rows.map((r) => r.strategy), STRATEGIES);
    for (const r of rows) {
      // prefix rotates through distances 256..241 whatever the network size; on 1,500 records the deepest
      // third of those buckets is empty, and it measures 98-99% of live nodes (98.2-98.9% over seeds 1-5),
      // so its t99 may be "not reached" (null). Every other strategy must reach 99%.
      // Since replies' records at distances not asked are dropped (issue 18, as geth and nim-eth do), prefix no
      // longer gains the neighbouring buckets the nim profile pads short replies with: one run measured 96.8%.
      const minLive = r.strategy === 'prefix' ? PREFIX_MIN_LIVE : 0.99;
      if (r.strategy === 'prefix' && r.t99Ms === null) r.t99Ms = Infinity;
      for (const k of ['t50Ms', 't90Ms', 't99Ms', 'requestsPerLiveNode', 'bytesPerLiveNode', 'coverageLive', 'coverageDead', 'duplicateRatio', 'runs']) {
        assert.equal(typeof r[k], 'number', `${r.strategy}.${k} = ${r[k]}`);
      }
      assert.equal(r.runs, 2);
      assert.ok(r.t50Ms <= r.t90Ms && r.t90Ms <= r.t99Ms, `${r.strategy} times ${r.t50Ms}/${r.t90Ms}/${r.t99Ms}`);
      assert.ok(r.coverageLive >= minLive, `${r.strategy} live coverage ${r.coverageLive}`);
      assert.ok(r.coverageDead > 0.8, `${r.strategy} dead coverage ${r.coverageDead}`);
      assert.ok(r.requestsPerLiveNode >= 1 && r.bytesPerLiveNode > 100);
      assert.ok(r.duplicateRatio > 0 && r.duplicateRatio < 1);
    }
    // sweep reads whole tables: many requests per node, nothing missed.
    const sweep = rows.find((r) => r.strategy === 'sweep');
    assert.ok(sweep.requestsPerLiveNode > 5 && sweep.coverageLive === 1);

    // Every crawl is a row of one DuckDB file with its strategy; the second run's order is rotated.
    const store = await Store.open(join(out, 'compare.duckdb'));
    try {
      const crawls = await store.listCrawls();
      assert.equal(crawls.length, 2 * STRATEGIES.length);
      const order = crawls.map((c) => c.strategy);
      assert.deepEqual(order.slice(0, 4), STRATEGIES);
      assert.deepEqual(order.slice(4), [...STRATEGIES.slice(1), STRATEGIES[0]]);
      const [v] = await store.query<{ n: bigint }>(`select count(distinct crawl_id) as n from visits`);
      assert.equal(Number(v!.n), 8);
    } finally { await store.close(); }

    // Curves: CSV of every run, PNG and SVG plots.
    const csv = readFileSync(join(out, 'curves.csv'), 'utf8').trim().split('\n');
    assert.equal(csv[0], 'strategy,run,t_ms,live_measured');
    for (const s of STRATEGIES) for (const run of [1, 2]) {
      const pts = csv.filter((l) => l.startsWith(`${s},${run},`)).map((l) => l.split(',').map(Number));
      assert.ok(pts.length > 10, `${s} run ${run} has a curve`);
      assert.ok(pts.every((p, i) => i === 0 || (p[2]! >= pts[i - 1]![2]! && p[3]! > pts[i - 1]![3]!)), 'curves are monotone');
      assert.ok(pts[pts.length - 1]![3]! >= Math.ceil(600 * (s === 'prefix' ? PREFIX_MIN_LIVE : 0.98)), `${s} run ${run} final ${pts[pts.length - 1]![3]}`);
    }
    const png = readFileSync(join(out, 'curves.png'));
    assertPng(png);
    const svg = readFileSync(join(out, 'curves.svg'), 'utf8');
    assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    for (const s of STRATEGIES) assert.ok(svg.includes(`>${s} (run `), `legend names ${s}`);
  });

  it('prints the human table by default', { timeout: 60_000 }, async () => {
    const io = capture();
    const code = await main(['compare', '--strategies', 'trie,random', '--nodes', '300', '--dead', '450', '--runs', '1',
      '--rtt', '1-20', '--rate', '1500', '--port', String(PORT + 1), '--out', join(dir, 'out2')], io);
    assert.equal(code, 0, io.errs.join('\n'));
    const text = io.outs.join('\n');
    assert.match(text, /strategy\s+runs\s+t50 s\s+t90 s\s+t99 s\s+req\/live\s+bytes\/live\s+live cov\s+dead cov\s+dup ratio/);
    assert.match(text, /\ntrie\s+1\s+\d+\.\d \(\d+\.\d-\d+\.\d\)/);
    assert.match(text, /\nrandom\s+1\s+/);
    for (const f of ['curves.csv', 'curves.png', 'curves.svg', 'compare.duckdb']) assert.ok(statSync(join(dir, 'out2', f)).size > 0, f);
  });

  it('rejects bad input with exit 2 before starting a simnet', async () => {
    const bad: Array<[string[], RegExp]> = [
      [['--strategies', 'prefix,bogus'], /unknown strategy "bogus"/],
      [['--strategies', 'trie,trie'], /listed twice/],
      [['--strategies', ','], /at least one strategy/],
      [['--runs', '0'], /--runs must be >= 1/],
      [['--rate', 'fast'], /not a number/],
      [['--rtt', '300-10'], /MAX is below MIN/],
      [['--bogus'], /unknown flag --bogus/],
      [['extra'], /unexpected argument/],
    ];
    for (const [args, re] of bad) {
      const io = capture();
      assert.equal(await main(['compare', ...args], io), 2, args.join(' '));
      assert.match(io.errs.join('\n'), re);
    }
    const f = join(dir, 'a-file');
    writeFileSync(f, 'x');
    const io = capture();
    assert.equal(await main(['compare', '--out', f], io), 2);
    assert.match(io.errs.join('\n'), /not a folder/);
    const h = capture();
    assert.equal(await main(['compare', '--help'], h), 0);
    assert.match(h.outs.join(''), /Usage: dhtscope compare/);
  });
});
