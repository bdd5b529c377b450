// npm run bench:report — how long `dhtscope report` takes over an S-50k crawl (the target: under 10 s).
// Crawls a fresh simnet (or reuses --db), then times the report --runs times, each into a fresh folder.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runReport } from '../src/app/report-job.js';
import { READER_MEMORY_MB, Store } from '../src/store/index.js';
import { crawlSimnetInto, rssPeak } from './harness.js';
import { benchArgs, machine, median, S50K_FLAGS } from './util.js';

const { flags } = benchArgs('report.bench.js [options]',
  'Time of `dhtscope report` (queries, SVG and PNG rendering, files) over one crawl of an S-50k simnet. Prints\n' +
  'each run, then one JSON line: records, visits, figures, median total and render time, peak RSS.', {
    ...S50K_FLAGS,
    rate: { type: 'number', help: 'crawl rate limit, FINDNODE/s', default: 3000, min: 1 },
    threads: { type: 'int', help: 'crawl crypto threads', default: 2, min: 1, max: 64 },
    runs: { type: 'int', help: 'reports to time', default: 3, min: 1, max: 50 },
    port: { type: 'int', help: 'simnet UDP port', default: 30603, min: 1, max: 65535 },
    db: { type: 'string', help: 'report this existing database instead of crawling a new simnet', valueName: 'file' },
  });

const log = (s: string) => console.error(`bench:report: ${s}`);
const dir = mkdtempSync(join(tmpdir(), 'dhtscope-bench-report-'));
try {
  let db = flags.db as string | undefined;
  if (!db) {
    db = join(dir, 'crawl.duckdb');
    await crawlSimnetInto(db, { nodes: flags.nodes as number, dead: flags.dead as number, port: flags.port as number, ratePerSec: flags.rate as number, threads: flags.threads as number }, log);
  }
  const store = await Store.open(db);
  const [c] = await store.query<{ records: bigint; visits: bigint }>(
    `SELECT (SELECT count(*) FROM records WHERE crawl_id = m.id) AS records, (SELECT count(*) FROM visits WHERE crawl_id = m.id) AS visits FROM (SELECT max(id) AS id FROM crawls) m`);
  await store.close();
  const totals: number[] = [], renders: number[] = [], peaks: number[] = [];
  let figures = 0;
  for (let i = 0; i < (flags.runs as number); i++) {
    const rss = rssPeak();
    const r = await runReport({ dbPath: db, outDir: join(dir, `report-${i}`), windowMs: 86_400_000, dbMemoryMB: READER_MEMORY_MB, toolVersion: 'bench' });
    peaks.push(rss.stop() / 2 ** 20);
    totals.push(r.totalMs); renders.push(r.renderMs); figures = r.figures;
    log(`run ${i + 1}: ${(r.totalMs / 1000).toFixed(2)} s (render ${(r.renderMs / 1000).toFixed(2)} s), ${r.figures} figures, ${r.files.length} files`);
  }
  console.log(JSON.stringify({
    bench: 'report', machine: machine(), records: Number(c!.records), visits: Number(c!.visits), figures, runs: totals.length,
    totalMsMedian: Math.round(median(totals)), totalMsMax: Math.round(Math.max(...totals)), renderMsMedian: Math.round(median(renders)),
    peakRssMB: Math.round(Math.max(...peaks)),
  }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
