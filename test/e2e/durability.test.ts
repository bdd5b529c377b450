import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSimnet } from '../../src/simnet/simnet.js';
import { Store } from '../../src/store/index.js';
import { CrawlJobError, runCrawlJob } from '../../src/app/crawl-job.js';
import { exitCodeOf, main } from '../../src/cli/main.js';
import { fillUp, tryMountTmpfs } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'dhtscope-kill-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

test('a crawl killed with SIGKILL mid-crawl leaves a file that opens with every row the store reported committed', { timeout: 120_000 }, async () => {
  const net = await startSimnet({ nodes: 1500, dead: 2000, seed: 5, rttMs: [5, 50], port: 20000 + Math.floor(Math.random() * 20000), shards: 1 });
  const db = join(dir, 'killed.duckdb');
  const jobUrl = new URL('../../src/app/crawl-job.js', import.meta.url).href;
  // The child crawls slowly (the kill must land mid-crawl) and prints what its store reports committed.
  const child = spawn(process.execPath, ['--input-type=module', '-e', `
    const { runCrawlJob } = await import(${JSON.stringify(jobUrl)});
    await runCrawlJob({
      config: { ratePerSec: 300, burst: 10, bindAddress: '127.0.0.1', threads: 1 },
      bootnodes: ${JSON.stringify(net.truth.bootnodes.slice(0, 1))}, dbPath: ${JSON.stringify(db)}, keyFile: null, freshIdentity: true, version: 'test',
      onStart: (_stop, store) => setInterval(() => process.stdout.write(JSON.stringify(store.stats().committed) + '\\n'), 20),
    });
    process.stdout.write('finished\\n');
  `], { stdio: ['ignore', 'pipe', 'inherit'] });
  let reported: Record<string, number> = {};
  let finished = false;
  try {
    await new Promise<void>((resolve, reject) => {
      let buf = '';
      child.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        const lines = buf.split('\n');
        buf = lines.pop()!;
        for (const l of lines) {
          if (l === 'finished') { finished = true; continue; }
          reported = JSON.parse(l) as Record<string, number>;
          // Several commits in: kill it.
          if ((reported.edge_ix ?? 0) > 3000 && child.exitCode === null) { child.kill('SIGKILL'); resolve(); }
        }
      });
      child.on('exit', () => resolve());
      child.on('error', reject);
    });
    await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.once('exit', r)));
  } finally {
    await net.stop();
  }
  assert.equal(finished, false, 'the crawl was still running when it was killed');
  assert.equal(child.signalCode, 'SIGKILL');
  const s = await Store.open(db);
  try {
    const crawls = await s.listCrawls();
    assert.equal(crawls.length, 1);
    assert.equal(crawls[0]!.endedAtMs, null, 'killed before its end was stamped');
    for (const [table, rows] of Object.entries(reported)) {
      if (table === 'nodes_staging') continue; // folded into nodes on the next open
      const [{ n }] = await s.query<{ n: bigint }>(`SELECT count(*) AS n FROM ${table} WHERE crawl_id = 1`) as [{ n: bigint }];
      assert.ok(Number(n) >= rows, `${table}: ${n} rows in the file, ${rows} reported committed`);
    }
    assert.ok((reported.visits ?? 0) > 0 && (reported.records ?? 0) > 0, JSON.stringify(reported));
    // Sightings a killed run staged are folded into nodes when the file opens again.
    const [{ n }] = await s.query<{ n: bigint }>(`SELECT count(*) AS n FROM nodes`) as [{ n: bigint }];
    assert.ok(Number(n) > 0);
  } finally {
    await s.close();
  }
  // Readers call it interrupted: export says so on stderr, and still exports what was committed.
  const out: string[] = [], errs: string[] = [];
  assert.equal(await main(['export', '--db', db, '--what', 'visits'], { out: (l) => out.push(l), err: (l) => errs.push(l), isTty: false }), 0, errs.join('\n'));
  assert.match(errs.join('\n'), /crawl 1 was interrupted \(no end recorded\)/);
  assert.ok(out.length >= (reported.visits ?? 0), `${out.length} visits exported`);
});

/**
 * Resolves once the crawl writing `db` has committed some rows (its WAL holds 100 kB): mid-crawl however slowly
 * the process started on a loaded machine.
 */
async function midCrawl(db: string): Promise<void> {
  const size = () => { try { return statSync(db + '.wal').size; } catch { return 0; } };
  for (let i = 0; i < 600 && size() < 100_000; i++) await new Promise((r) => setTimeout(r, 100));
}

/** The bound on signal -> exit (issue 18, item 5); bench:stop measures it with 500,000 unvisited records. */
const STOP_BOUND_MS = 10_000;

test('SIGTERM, SIGINT and SIGHUP stop a crawl cleanly within 10 s: summary printed, every row committed, the crawl stamped ended', { timeout: 180_000 }, async () => {
  const truthFile = join(dir, 'truth.json');
  const net = await startSimnet({ nodes: 1500, dead: 2000, seed: 6, rttMs: [5, 50], port: 20000 + Math.floor(Math.random() * 20000), shards: 1, truthFile });
  const bin = fileURLToPath(new URL('../../../bin/dhtscope.js', import.meta.url));
  try {
    for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
      const db = join(dir, `${signal}.duckdb`);
      const child = spawn(process.execPath, [bin, 'crawl', '--simnet', truthFile, '--db', db, '--rate', '300', '--fresh-identity', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
      await midCrawl(db); // 20,000 records take far longer at 300 req/s
      const t0 = performance.now();
      child.kill(signal);
      const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
      const ms = performance.now() - t0;
      assert.equal(code, 0, `${signal}: exit ${code}`);
      assert.ok(ms <= STOP_BOUND_MS, `${signal}: exited ${Math.round(ms)} ms after the signal`);
      const summary = JSON.parse(out.trim().split('\n').pop()!) as { stopped: boolean; measured: number; failed: number; crawlId: number; dbRowsWritten: number };
      assert.equal(summary.stopped, true);
      assert.ok(summary.measured > 0 && summary.dbRowsWritten > 0, JSON.stringify(summary));
      const s = await Store.open(db);
      try {
        const [c] = await s.listCrawls();
        assert.ok(c!.endedAtMs !== null, 'ended_at stamped');
        assert.equal((c!.summary as { measured: number }).measured, summary.measured);
        const [{ n }] = await s.query<{ n: bigint }>(`SELECT count(*) FILTER (WHERE status = 'measured') AS n FROM visits`) as [{ n: bigint }];
        assert.equal(Number(n), summary.measured, 'every measured visit is in the file');
      } finally {
        await s.close();
      }
    }
  } finally {
    await net.stop();
  }
});

test('a store whose writes fail mid-crawl stops the crawl: one-line error, the summary, no hang', { timeout: 120_000 }, async () => {
  const net = await startSimnet({ nodes: 600, dead: 900, seed: 7, rttMs: [5, 50], port: 20000 + Math.floor(Math.random() * 20000), shards: 1 });
  const db = join(dir, 'failing.duckdb');
  try {
    const err = await runCrawlJob({
      config: { ratePerSec: 300, burst: 10, bindAddress: '127.0.0.1', threads: 1 },
      bootnodes: net.truth.bootnodes.slice(0, 1), dbPath: db, keyFile: null, freshIdentity: true, version: 'test',
      storeOptions: { maxBufferedRows: 3000, flushIntervalMs: 50, stallTimeoutMs: 5000 },
      // The edges' table vanishes under the writer: every write from now on fails.
      onStart: (_stop, store) => { void store!.query('ALTER TABLE edge_ix RENAME TO edge_ix_gone'); },
    }).then(() => null, (e: unknown) => e);
    assert.ok(err instanceof CrawlJobError, String(err));
    assert.equal(err.code, 'ERR_CRAWL_STORE_FAILED');
    assert.doesNotMatch(err.message, /\n/);
    assert.match(err.message, /rows not written/);
    const summary = err.summary!;
    assert.equal(summary.stopped, true, 'the crawl was stopped, not run to its end');
    assert.ok(summary.storeError && summary.measured > 0, JSON.stringify(summary));
    assert.ok(summary.discovered < 1500 || summary.unvisited > 0, 'stopped before the whole network was crawled');
    assert.equal(exitCodeOf(err.code), 3);
  } finally {
    await net.stop();
  }
  // The file opens again, and the crawl is marked as never ended.
  const s = await Store.open(db);
  try {
    const [c] = await s.listCrawls();
    assert.equal(c!.endedAtMs, null);
  } finally {
    await s.close();
  }
});

test('a second SIGINT during the stop exits with 130 (no native abort), and the file opens with what was committed', { timeout: 120_000 }, async () => {
  const truthFile = join(dir, 'truth2.json');
  const net = await startSimnet({ nodes: 1500, dead: 2000, seed: 8, rttMs: [5, 50], port: 20000 + Math.floor(Math.random() * 20000), shards: 1, truthFile });
  const bin = fileURLToPath(new URL('../../../bin/dhtscope.js', import.meta.url));
  try {
    // Three runs with the second signal at different points of the stop: a process that exited while the store's
    // writer ran a DuckDB call aborted in one of three (exit 134, "terminate called ... Napi::Error").
    for (const gapMs of [50, 200, 400]) {
      const db = join(dir, `double-${gapMs}.duckdb`);
      const child = spawn(process.execPath, [bin, 'crawl', '--simnet', truthFile, '--db', db, '--rate', '300', '--fresh-identity', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
      await midCrawl(db);
      child.kill('SIGINT');
      await new Promise((r) => setTimeout(r, gapMs));
      const t0 = performance.now();
      const exited = new Promise<[number | null, string | null]>((r) => { if (child.exitCode !== null) r([child.exitCode, null]); else child.once('exit', (c, s) => r([c, s])); });
      // A stop quicker than the gap (a fast machine, few records) ended cleanly before the second signal: nothing to test.
      if (child.exitCode !== null || !child.kill('SIGINT')) {
        assert.equal((await exited)[0], 0, `the stop ended before the second SIGINT, and cleanly: ${err}`);
        assert.notEqual(gapMs, 50, 'a stop takes longer than 50 ms: the earliest second signal must land during it');
        continue;
      }
      const [code, sig] = await exited;
      // The signal landed as the clean stop was exiting (the handler never ran): the same case as above.
      if (code === 0 && !/second SIGINT/.test(err)) { assert.notEqual(gapMs, 50, `a stop takes longer than 50 ms: ${err}`); continue; }
      assert.equal(code, 130, `second SIGINT ${gapMs} ms after the first: exit ${code ?? sig}; ${err.trim().split('\n').slice(-2).join(' | ')}`);
      assert.ok(performance.now() - t0 <= STOP_BOUND_MS, 'exits soon after the second signal');
      assert.match(err, /second SIGINT/);
      const s = await Store.open(db);
      try {
        assert.equal((await s.listCrawls()).length, 1);
      } finally {
        await s.close();
      }
    }
  } finally {
    await net.stop();
  }
});

test('a disk that fills up mid-crawl stops the crawl with exit code 3 and one line; the file opens with its committed rows once space returns', { timeout: 120_000 }, async (t) => {
  const m = tryMountTmpfs(dir, 16);
  if ('skip' in m) { t.skip(m.skip); return; }
  const net = await startSimnet({ nodes: 1500, dead: 2000, seed: 9, rttMs: [5, 50], port: 20000 + Math.floor(Math.random() * 20000), shards: 1 });
  const db = join(m.dir, 'full.duckdb');
  const filler = join(m.dir, 'filler');
  try {
    let committedAtFill = -1;
    const err = await runCrawlJob({
      config: { ratePerSec: 300, burst: 10, bindAddress: '127.0.0.1', threads: 1 },
      bootnodes: net.truth.bootnodes.slice(0, 1), dbPath: db, keyFile: null, freshIdentity: true, version: 'test',
      storeOptions: { maxBufferedRows: 5000, flushIntervalMs: 50, stallTimeoutMs: 5000 },
      // Some rows in, then the disk is full.
      onStart: (_stop, store) => { setTimeout(() => { committedAtFill = store!.stats().rowsWritten; fillUp(filler); }, 1500); },
    }).then(() => null, (e: unknown) => e);
    assert.ok(err instanceof CrawlJobError, String(err));
    assert.equal(err.code, 'ERR_CRAWL_STORE_FAILED');
    assert.equal(exitCodeOf(err.code), 3);
    assert.doesNotMatch(err.message, /\n/);
    assert.ok(err.summary!.stopped && err.summary!.measured > 0, JSON.stringify(err.summary));
    assert.ok(committedAtFill > 0, 'rows were committed before the disk filled');
    rmSync(filler);
    const s = await Store.open(db);
    try {
      const [c] = await s.listCrawls();
      assert.equal(c!.endedAtMs, null, 'never stamped ended: read as interrupted');
      const [{ n }] = await s.query<{ n: bigint }>(`SELECT (SELECT count(*) FROM visits) + (SELECT count(*) FROM records) + (SELECT count(*) FROM edge_ix) AS n`) as [{ n: bigint }];
      assert.ok(Number(n) > 0, 'committed rows are in the file');
    } finally {
      await s.close();
    }
  } finally {
    await net.stop();
    m.unmount();
  }
});
