// bench:fuzz — 1,000,000 malformed and hostile datagrams (src/simnet/junk.ts: random, truncated, bit-flipped
// valid packets, oversized, wrong protocol id, valid-header junk, stray WHOAREYOUs and handshakes) at a crawling
// process's socket during a simnet crawl. Reports: whether the crawler survived (exit code), its RSS series
// (slope over the flood and peak), and the crawl's coverage of the live nodes.
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSimnet } from '../src/simnet/simnet.js';
import { startJunkFlood, type JunkFloodResult } from '../src/simnet/junk.js';
import { fromHex } from '../src/util/bytes.js';
import { benchArgs, machine } from './util.js';

const { flags } = benchArgs('fuzz.bench [options]', 'Floods a crawling process with junk datagrams; reports crash, RSS slope and peak, and coverage.', {
  datagrams: { type: 'int', help: 'junk datagrams to send', default: 1_000_000, min: 1, max: 100_000_000 },
  'junk-rate': { type: 'int', help: 'junk datagrams/s', default: 10_000, min: 1, max: 1_000_000 },
  nodes: { type: 'int', help: 'live simnet nodes', default: 2000, min: 10, max: 100_000 },
  dead: { type: 'int', help: 'dead records in the simnet tables', default: 2000, min: 0, max: 1_000_000 },
  rate: { type: 'int', help: 'crawl FINDNODE requests/s', default: 400, min: 1, max: 100_000 },
  threads: { type: 'int', help: 'crawl crypto threads', default: 1, min: 1, max: 64 },
  port: { type: 'int', help: 'simnet base port', default: 31000, min: 1024, max: 65000 },
});
const log = (s: string) => process.stderr.write(`[fuzz] ${s}\n`);
const dir = mkdtempSync(join(tmpdir(), 'dhtscope-fuzz-'));
const truthFile = join(dir, 'truth.json');
const net = await startSimnet({ nodes: flags.nodes as number, dead: flags.dead as number, seed: 'fuzz', rttMs: [5, 50], port: flags.port as number, shards: 1, truthFile });
log(`simnet: ${net.truth.live.length} live, ${net.truth.dead.length} dead`);
interface Done { done: true; stopAsked: boolean; rss: Array<[number, number]>; coverageLive: number; liveMeasured: number; liveTotal: number; t99Ms: number | null; packetsIn: number; cycles: number; measured: number; failures: Record<string, number>; session: Record<string, unknown> }
const child = fork(fileURLToPath(new URL('./fuzz-child.js', import.meta.url)), [JSON.stringify({ truthFile, bootnodes: net.truth.bootnodes.slice(0, 1), rate: flags.rate, threads: flags.threads })], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
let done: Done | null = null;
let flood: JunkFloodResult | null = null;
let floodWindow: [number, number] = [0, 0];
const t0 = performance.now();
const exit = new Promise<[number | null, string | null]>((r) => child.once('exit', (c, s) => r([c, s])));
child.on('message', (m: { ready?: boolean; id?: string; port?: number } | Done) => {
  if ('done' in m) { done = m; return; }
  if (!m.ready) return;
  log(`crawler on 127.0.0.1:${m.port}; sending ${flags.datagrams} datagrams at ${flags['junk-rate']}/s`);
  const f = startJunkFlood({ targetId: fromHex(m.id!), ip: '127.0.0.1', port: m.port!, count: flags.datagrams as number, ratePerSec: flags['junk-rate'] as number, seed: 'fuzz' });
  const from = performance.now() - t0;
  f.done.then((r) => { flood = r; floodWindow = [from, performance.now() - t0]; log(`flood done: ${r.sent} in ${(r.ms / 1000).toFixed(1)} s`); if (child.connected) child.send('stop'); },
    (e: Error) => { log(`flood failed: ${e.message}`); if (child.connected) child.send('stop'); });
});
const [code, signal] = await exit;
await net.stop();
rmSync(dir, { recursive: true, force: true });
const d = done as Done | null;
const MB = 2 ** 20;
// Least-squares slope of RSS over the flood's window, MB per minute.
const inFlood = (d?.rss ?? []).filter(([t]) => t >= floodWindow[0] && t <= floodWindow[1]);
const slope = (() => {
  if (inFlood.length < 3) return null;
  const n = inFlood.length, mx = inFlood.reduce((a, [t]) => a + t, 0) / n, my = inFlood.reduce((a, [, v]) => a + v, 0) / n;
  const num = inFlood.reduce((a, [t, v]) => a + (t - mx) * (v - my), 0), den = inFlood.reduce((a, [t]) => a + (t - mx) ** 2, 0);
  return (num / den) * 60_000 / MB;
})();
const rssMB = (d?.rss ?? []).map(([, v]) => Math.round(v / MB));
const result = {
  bench: 'fuzz', machine: machine(), datagrams: flood ? (flood as JunkFloodResult).sent : 0, junkRate: flags['junk-rate'], crashed: code !== 0, exit: code ?? signal,
  rssSlopeMBPerMin: slope === null ? null : Math.round(slope * 100) / 100, rssPeakMB: rssMB.length ? Math.max(...rssMB) : null,
  rssAtFloodStartMB: inFlood.length ? Math.round(inFlood[0]![1] / MB) : null, rssAtFloodEndMB: inFlood.length ? Math.round(inFlood[inFlood.length - 1]![1] / MB) : null,
  coverageLive: d?.coverageLive ?? null, liveMeasured: d?.liveMeasured ?? null, liveTotal: d?.liveTotal ?? null, crawlerPacketsIn: d?.packetsIn ?? null,
  cycles: d?.cycles ?? null, failures: d?.failures ?? null, session: d?.session ?? null, rssSeriesMB: rssMB,
};
log(`exit ${result.exit}; RSS slope ${result.rssSlopeMBPerMin} MB/min over the flood, peak ${result.rssPeakMB} MB; live measured ${result.liveMeasured}/${result.liveTotal}`);
console.log(JSON.stringify(result));
if (result.crashed) process.exitCode = 1;
