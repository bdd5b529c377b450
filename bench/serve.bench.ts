// npm run bench:serve — server time of every `dhtscope serve` endpoint over an S-50k crawl (target: < 300 ms).
// Crawls a fresh simnet twice (or takes --db), starts the server in this process, and requests each endpoint
// --requests times in turn; the server time is the app's own Server-Timing figure, the wall time is the client's.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { READER_MEMORY_MB, StoreReader } from '../src/store/index.js';
import { startServer } from '../src/web/server.js';
import { crawlSimnetInto } from './harness.js';
import { benchArgs, machine, S50K_FLAGS } from './util.js';

const { flags } = benchArgs('serve.bench.js [options]',
  'p50 and p99 server time (and client wall time) of every serve endpoint, pages and API, on a database of\n' +
  'two S-50k crawls. Prints a table, then one JSON line.', {
    ...S50K_FLAGS,
    rate: { type: 'number', help: 'crawl rate limit, FINDNODE/s', default: 3000, min: 1 },
    threads: { type: 'int', help: 'crawl crypto threads', default: 2, min: 1, max: 64 },
    requests: { type: 'int', help: 'requests per endpoint', default: 100, min: 2, max: 100_000 },
    port: { type: 'int', help: 'simnet UDP port', default: 30703, min: 1, max: 65535 },
    db: { type: 'string', help: 'serve this existing database instead of crawling a new simnet', valueName: 'file' },
  });

const log = (s: string) => console.error(`bench:serve: ${s}`);
const q = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]!; };
const dir = mkdtempSync(join(tmpdir(), 'dhtscope-bench-serve-'));
try {
  let db = flags.db as string | undefined;
  if (!db) {
    db = join(dir, 'two.duckdb');
    const o = { nodes: flags.nodes as number, dead: flags.dead as number, port: flags.port as number, ratePerSec: flags.rate as number, threads: flags.threads as number };
    await crawlSimnetInto(db, o, log);
    await crawlSimnetInto(db, o, log);
  }
  const r = await StoreReader.open(db, { memoryLimitMB: 256 });
  const [sample] = await r.query<{ node_id: string; enr: string }>(`SELECT node_id, enr FROM records ORDER BY node_id LIMIT 1 OFFSET 1000`);
  const [counts] = await r.query<{ records: bigint; crawls: bigint }>(`SELECT (SELECT count(*) FROM records) AS records, (SELECT count(*) FROM crawls) AS crawls`);
  const [ab] = await r.query<{ a: number; b: number }>(`SELECT min(id) AS a, max(id) AS b FROM crawls`);
  r.close();
  const t0 = performance.now();
  const server = await startServer({ dbPath: db, host: '127.0.0.1', port: 0, dbMemoryMB: READER_MEMORY_MB });
  const startMs = performance.now() - t0;
  const id = sample!.node_id, enr = encodeURIComponent(sample!.enr);
  const endpoints: Array<[string, string]> = [
    ['page /', '/'], ['page /networks', '/networks'], ['page /nodes', '/nodes'], ['page /nodes filtered, sorted', '/nodes?network=mainnet&sort=rtt_ms&order=desc&page=3'],
    ['page /nodes/:id', `/nodes/${id}`], ['page /diff', `/diff?a=${ab!.a}&b=${ab!.b}`],
    ['api /api/overview', '/api/overview'], ['api /api/crawls', '/api/crawls'], ['api /api/networks', '/api/networks'],
    ['api /api/nodes', '/api/nodes'], ['api /api/nodes filtered, sorted', '/api/nodes?network=mainnet&status=measured&sort=rtt_ms&order=desc&page=5&per=100'],
    ['api /api/nodes search', `/api/nodes?q=${id.slice(0, 6)}`], ['api /api/nodes/:id', `/api/nodes/${id}`], ['api /api/lookup (ENR)', `/api/lookup?q=${enr}`],
    ['api /api/diff', `/api/diff?a=${ab!.a}&b=${ab!.b}`], ['api /api/nodes/export csv (hoodi)', '/api/nodes/export?format=csv&network=hoodi'],
    ['api /api/nodes/export csv (all)', '/api/nodes/export?format=csv'],
  ];
  const results: Array<{ endpoint: string; p50ServerMs: number; p99ServerMs: number; p50WallMs: number; p99WallMs: number; bytes: number }> = [];
  const server_: Record<string, number[]> = {}, wall: Record<string, number[]> = {}, bytes: Record<string, number> = {};
  // Endpoints in turn, so drift of the machine spreads over all of them.
  for (let i = 0; i < (flags.requests as number); i++) {
    for (const [name, path] of endpoints) {
      const w0 = performance.now();
      const res = await fetch(server.url + path);
      const body = await res.arrayBuffer();
      const w = performance.now() - w0;
      if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
      const st = /app;dur=([\d.]+)/.exec(res.headers.get('server-timing') ?? '');
      (server_[name] ??= []).push(st ? Number(st[1]) : NaN);
      (wall[name] ??= []).push(w);
      bytes[name] = body.byteLength;
    }
  }
  await server.close();
  for (const [name] of endpoints) results.push({ endpoint: name, p50ServerMs: +q(server_[name]!, 0.5).toFixed(1), p99ServerMs: +q(server_[name]!, 0.99).toFixed(1), p50WallMs: +q(wall[name]!, 0.5).toFixed(1), p99WallMs: +q(wall[name]!, 0.99).toFixed(1), bytes: bytes[name]! });
  console.error(`| endpoint | p50 server ms | p99 server ms | p50 wall ms | p99 wall ms | bytes |\n|---|---:|---:|---:|---:|---:|`);
  for (const x of results) console.error(`| ${x.endpoint} | ${x.p50ServerMs} | ${x.p99ServerMs} | ${x.p50WallMs} | ${x.p99WallMs} | ${x.bytes.toLocaleString('en-US')} |`);
  console.log(JSON.stringify({ bench: 'serve', machine: machine(), records: Number(counts!.records), crawls: Number(counts!.crawls), requestsPerEndpoint: flags.requests, startMs: Math.round(startMs), results }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
