// The whole tool on a PostgreSQL store, as a user pointing --db at a server would run it: a crawl (the demo),
// its report, the web UI over it, a short monitor campaign and its stats. Same commands, same outputs.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/io.js';
import { runMonitorJob } from '../../src/app/monitor-job.js';
import { startSimnet } from '../../src/simnet/simnet.js';
import { startServer, type RunningServer } from '../../src/web/server.js';
import { freshPgDb, PG_SKIP, pgExec } from '../pg.js';

const PORT = 20000 + Math.floor(Math.random() * 20000);
const dir = mkdtempSync(join(tmpdir(), 'dhtscope-pg-e2e-'));
const out = join(dir, 'report');

function capture(): CliIo & { outs: string[]; errs: string[] } {
  const outs: string[] = [], errs: string[] = [];
  return { outs, errs, out: (l) => outs.push(l), err: (l) => errs.push(l), isTty: false };
}

describe('e2e: a PostgreSQL store', { skip: PG_SKIP }, () => {
  let url = '';
  let server: RunningServer | null = null;
  before(async () => {
    url = await freshPgDb('e2e');
    const io = capture();
    const code = await main(['demo', '--nodes', '300', '--dead', '300', '--rtt', '5-40', '--port', String(PORT), '--db', url, '--report', out, '--json'], io);
    assert.equal(code, 0, io.errs.join('\n'));
  });
  after(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('crawl: every live node measured and stored on the server', async () => {
    const r = (await pgExec(url, `SELECT count(DISTINCT node_id)::int AS n FROM visits WHERE status = 'measured'`)).rows[0];
    assert.ok(r.n >= 297, `measured ${r.n}`);
    assert.equal((await pgExec(url, `SELECT count(*)::int AS n FROM crawls WHERE ended_at IS NOT NULL`)).rows[0].n, 1);
  });

  it('report: the same figures as from a DuckDB file', () => {
    assert.ok(existsSync(join(out, 'index.html')));
    const nets = readFileSync(join(out, 'networks.csv'), 'utf8');
    const measured = nets.trimEnd().split('\n').slice(1).reduce((s, l) => s + Number(l.split(',')[3]), 0);
    assert.ok(measured >= 297, `measured ${measured}`);
    for (const f of ['states', 'rtt', 'networks', 'clients', 'density']) assert.match(readFileSync(join(out, `${f}.svg`), 'utf8'), /^<svg /, f);
  });

  it('serve: the pages and the API answer from the server\'s rows', async () => {
    server = await startServer({ dbPath: url, host: '127.0.0.1', port: 0, dbMemoryMB: 256 });
    const crawls = await (await fetch(`${server.url}/api/crawls`)).json() as { crawls: Array<{ id: number }> };
    assert.equal(crawls.crawls.length, 1);
    const nodes = await (await fetch(`${server.url}/api/nodes?status=measured`)).json() as { total: number; rows: Array<{ node_id: string }> };
    const want = (await pgExec(url, `SELECT count(DISTINCT node_id)::int AS n FROM visits WHERE status = 'measured'`)).rows[0].n;
    assert.equal(nodes.total, want);
    const page = await fetch(`${server.url}/nodes/${nodes.rows[0]!.node_id}`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), new RegExp(nodes.rows[0]!.node_id));
    assert.equal((await fetch(`${server.url}/`)).status, 200);
  });

  it('monitor and stats: a campaign on the server, its figures read back', { timeout: 120_000 }, async () => {
    const net = await startSimnet({ nodes: 150, dead: 50, natFraction: 0.04, seed: 'pg-monitor', port: PORT + 1, shards: 1 });
    let summary;
    try {
      summary = await runMonitorJob({
        crawl: { ratePerSec: 300, threads: 1, allowPrivate: true, bindAddress: '127.0.0.1', durationMs: 6000, vantage: 'e2e-vantage' },
        monitor: { durationMs: 20_000, crawlEveryMs: 10_000, probeMinMs: 1000, probeMaxMs: 3000, probeRatePerSec: 300, checkpointEveryMs: 5000, sampleEveryMs: 2000 },
        bootnodes: net.truth.bootnodes, dbPath: url, keyFile: null, freshIdentity: true, version: 'test', checkpointPath: join(dir, 'pg.monitor'),
      });
    } finally {
      await net.stop();
    }
    assert.ok(summary.crawlsDone >= 2, `crawls ${summary.crawlsDone}`);
    const camp = (await pgExec(url, `SELECT vantage, vantage_addr FROM campaigns WHERE id = $1`, [summary.campaignId])).rows[0];
    assert.equal(camp.vantage, 'e2e-vantage');
    assert.match(camp.vantage_addr, /^127\.0\.0\.1:\d+$/);
    const io = capture();
    assert.equal(await main(['stats', '--db', url, '--json'], io), 0, io.errs.join('\n'));
    const stats = JSON.parse(io.outs.join('\n')) as { all: { nodes: { reachable: number; unreachable: number } } };
    assert.ok(stats.all.nodes.reachable >= 140, JSON.stringify(stats.all.nodes));
    assert.ok(stats.all.nodes.unreachable >= 6, JSON.stringify(stats.all.nodes));
  });
});
