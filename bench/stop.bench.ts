// bench:stop — how long a signal takes to end a crawl that knows `--records` records, nearly all unvisited
// (issue 18, item 5: within 10 s at 500,000). Each case runs the crawl in its own process (stop-child.ts) over a
// fake network, sends the signal once the crawler knows the records, and times signal -> process exit.
// Cases: SIGTERM, SIGINT, SIGHUP (one signal: a clean stop), and "double" (SIGINT, then a second SIGINT 500 ms
// later: the process exits after a last flush of at most LAST_FLUSH_MS).
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchArgs, machine } from './util.js';
import { stopBenchRecords } from './stop-records.js';

const { flags } = benchArgs('stop.bench [options]', 'Times signal -> exit for a crawl with many unvisited records (the bound: 10 s).', {
  records: { type: 'int', help: 'records the crawler knows when signalled', default: 500_000, min: 1000, max: 2_000_000 },
  threads: { type: 'int', help: 'crypto threads of the crawl (1: inline)', default: 1, min: 1, max: 64 },
  rate: { type: 'int', help: 'FINDNODE requests/s while it learns the records', default: 3000, min: 1, max: 100_000 },
  cases: { type: 'string', help: 'comma-separated: SIGTERM,SIGINT,SIGHUP,double', default: 'SIGTERM,SIGINT,SIGHUP,double' },
});
const log = (s: string) => process.stderr.write(`[stop] ${s}\n`);
const n = flags.records as number;
const recordsFile = await stopBenchRecords(n + 1, log);
const child = fileURLToPath(new URL('./stop-child.js', import.meta.url));

interface CaseResult { case: string; exitCode: number | string | null; signalToExitMs: number; afterSecondMs: number | null; known: number; unvisited: number; readyRssMB: number; done: Record<string, unknown> | null }

async function runCase(name: string): Promise<CaseResult> {
  const db = join(tmpdir(), `dhtscope-bench-stop-${process.pid}-${name}.duckdb`);
  const p = spawn(process.execPath, [child, JSON.stringify({ recordsFile, db, threads: flags.threads, rate: flags.rate, target: n })], { stdio: ['ignore', 'pipe', 'inherit'] });
  let ready: { known: number; unvisited: number; rssMB: number } | null = null;
  let done: Record<string, unknown> | null = null;
  let t0 = 0, t1: number | null = null;
  const exited = new Promise<number | string | null>((r) => p.once('exit', (c, sig) => r(c ?? sig)));
  let buf = '';
  p.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    const lines = buf.split('\n');
    buf = lines.pop()!;
    for (const l of lines) {
      const o = JSON.parse(l) as Record<string, unknown>;
      if (o.done) done = o;
      if (!o.ready || ready) continue;
      ready = o as unknown as typeof ready;
      t0 = performance.now();
      p.kill(name === 'double' ? 'SIGINT' : name as NodeJS.Signals);
      if (name === 'double') setTimeout(() => { t1 = performance.now(); p.kill('SIGINT'); }, 500);
    }
  });
  const code = await exited;
  const end = performance.now();
  rmSync(db, { force: true }); rmSync(db + '.wal', { force: true });
  if (!ready) throw new Error(`${name}: the crawl ended (exit ${code}) before it knew ${n} records`);
  const r = ready as { known: number; unvisited: number; rssMB: number };
  return { case: name, exitCode: code, signalToExitMs: Math.round(end - t0), afterSecondMs: t1 === null ? null : Math.round(end - t1), known: r.known, unvisited: r.unvisited, readyRssMB: r.rssMB, done };
}

const results: CaseResult[] = [];
for (const c of (flags.cases as string).split(',')) {
  const r = await runCase(c.trim());
  log(`${r.case}: exit ${r.exitCode} ${r.signalToExitMs} ms after the signal${r.afterSecondMs !== null ? ` (${r.afterSecondMs} ms after the second)` : ''}; ${r.unvisited} of ${r.known} unvisited; ${JSON.stringify(r.done)}`);
  results.push(r);
}
const worst = Math.max(...results.filter((r) => r.case !== 'double').map((r) => r.signalToExitMs));
console.log(JSON.stringify({ bench: 'stop', machine: machine(), records: n, threads: flags.threads, worstSingleSignalMs: worst, withinBound: worst <= 10_000, results }));
