// npm run bench:complete — does a default `dhtscope crawl` (no --strategy) read every live node of a small network?
// Per seed: a fresh simnet (the seed varies its IDs, tables and RTTs) in its own process, then the real CLI crawl in
// another, then the live nodes measured (from the crawl's DuckDB file) against the simnet's truth.
// Flags: --seeds N --first-seed S --nodes N --dead N --rate R --strategy S --loss L --rtt MIN-MAX --port P.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CLI_NODE_FLAGS } from '../src/app/runtime.js';
import { Store } from '../src/store/index.js';
import { benchArgs, machine } from './util.js';
import { spawnSimnet } from './harness.js';

const { flags } = benchArgs('complete.bench.js [options]',
  'Completeness of the default crawl: for each seed, a fresh simnet and one `dhtscope crawl --simnet` with no\n' +
  '--strategy (unless given), then the live nodes it measured against the truth. Prints one line per seed, then\n' +
  'one JSON line: runs, complete runs (every live node measured), worst coverage, requests per live node.', {
    seeds: { type: 'int', help: 'simnets to crawl, one crawl each', default: 20, min: 1 },
    'first-seed': { type: 'int', help: 'first simnet seed (seeds first-seed .. first-seed + seeds - 1)', default: 1, min: 0 },
    nodes: { type: 'int', help: 'live simnet nodes', default: 300, min: 1 },
    // The simnet command's own default share: 1.5 dead records per live node.
    dead: { type: 'int', help: 'dead records in the simnet tables', default: 450, min: 0 },
    rate: { type: 'number', help: 'crawl --rate (default: the crawl command\'s)', default: 0, min: 0 },
    strategy: { type: 'string', help: 'crawl --strategy (default: none, the crawl command\'s default)', default: '' },
    loss: { type: 'number', help: 'packet loss per link, 0..1', default: 0, min: 0, max: 1 },
    rtt: { type: 'string', help: 'simnet round-trip range, ms (MIN-MAX)', default: '10-300' },
    port: { type: 'int', help: 'simnet UDP port', default: 30503, min: 1, max: 65535 },
  });

const run = promisify(execFile);
const BIN = fileURLToPath(new URL('../../bin/dhtscope.js', import.meta.url));
const log = (s: string) => console.error(`bench:complete: ${s}`);

interface SeedResult {
  seed: number; live: number; measured: number; coverage: number; missed: string[];
  /** Missed live nodes whose record the crawl never received (the rest were found but their visit failed: loss). */
  notFound: number; requests: number;
  requestsPerLive: number; elapsedMs: number; lastLiveMs: number | null; discovered: number;
}

async function crawlSeed(seed: number): Promise<SeedResult> {
  const sim = await spawnSimnet(['--nodes', String(flags.nodes), '--dead', String(flags.dead), '--seed', `complete-${seed}`,
    '--rtt', String(flags.rtt), '--loss', String(flags.loss), '--port', String(flags.port), '--json']);
  const dir = mkdtempSync(join(tmpdir(), 'dhtscope-bench-complete-'));
  try {
    const db = join(dir, 'crawl.duckdb');
    const args = [...CLI_NODE_FLAGS, BIN, 'crawl', '--simnet', sim.truthFile, '--db', db, '--fresh-identity', '--json', '--bind', '127.0.0.1'];
    if (flags.strategy) args.push('--strategy', flags.strategy as string);
    if ((flags.rate as number) > 0) args.push('--rate', String(flags.rate));
    const { stdout } = await run(process.execPath, args, { maxBuffer: 1 << 24, timeout: 600_000 });
    const summary = JSON.parse(stdout.trim().split('\n').pop()!) as { requests: number; elapsedMs: number; discovered: number };
    const store = await Store.open(db);
    let measured: Set<string>, found: Set<string>;
    let lastLiveMs: number | null = null;
    try {
      const rows = await store.query<{ node_id: string }>(`select distinct node_id from visits where status = 'measured'`);
      measured = new Set(rows.map((r) => r.node_id));
      const recs = await store.query<{ node_id: string }>(`select distinct node_id from records union select distinct node_id from visits`);
      found = new Set(recs.map((r) => r.node_id));
      // When the last live node was measured: the time to 100%.
      const [t] = await store.query<{ ms: bigint | null }>(
        `select epoch_ms(max(ended_at) filter (where status = 'measured')) - epoch_ms(min(started_at)) as ms from visits`);
      lastLiveMs = t?.ms === null || t?.ms === undefined ? null : Number(t.ms);
    } finally { await store.close(); }
    const live = sim.truth.live.map((l) => l.nodeId);
    const missed = live.filter((id) => !measured.has(id));
    const got = live.length - missed.length;
    return {
      seed, live: live.length, measured: got, coverage: got / live.length, missed, notFound: missed.filter((id) => !found.has(id)).length, requests: summary.requests,
      requestsPerLive: Number((summary.requests / Math.max(1, got)).toFixed(2)), elapsedMs: summary.elapsedMs, lastLiveMs, discovered: summary.discovered,
    };
  } finally {
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const results: SeedResult[] = [];
const first = flags['first-seed'] as number;
for (let s = first; s < first + (flags.seeds as number); s++) {
  const r = await crawlSeed(s);
  results.push(r);
  console.log(`seed ${r.seed}: ${r.measured}/${r.live} live measured (${(r.coverage * 100).toFixed(2)}%), ${r.requests} requests ` +
    `(${r.requestsPerLive}/live), last live node at ${r.lastLiveMs ?? '-'} ms, crawl ${(r.elapsedMs / 1000).toFixed(1)} s` +
    (r.missed.length ? `, missed ${r.missed.map((id) => id.slice(0, 8)).join(' ')} (${r.notFound} never found, the rest failed)` : ''));
}
const complete = results.filter((r) => r.measured === r.live).length;
log(`${complete}/${results.length} runs measured every live node`);
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const mid = (xs: number[]) => sorted(xs)[xs.length >> 1]!;
console.log(JSON.stringify({
  bench: 'complete', machine: machine(), strategy: flags.strategy || 'default', nodes: flags.nodes, dead: flags.dead, loss: flags.loss,
  runs: results.length, completeRuns: complete, worstCoverage: Math.min(...results.map((r) => r.coverage)),
  missedTotal: results.reduce((a, r) => a + r.missed.length, 0), notFoundTotal: results.reduce((a, r) => a + r.notFound, 0), medianRequestsPerLive: mid(results.map((r) => r.requestsPerLive)),
  medianLastLiveMs: mid(results.map((r) => r.lastLiveMs ?? Infinity)), perSeed: results.map(({ missed, ...r }) => ({ ...r, missed: missed.length })),
}));
