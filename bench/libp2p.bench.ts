// npm run bench:libp2p — a crawl of a loopback network of real js-libp2p Kademlia nodes (300 by default, in
// shard processes), the crawler in a process of its own: coverage, time to 99% of the nodes, crawler CPU per
// peer visited and its peak RSS. Medians over --runs crawls of one network; the last line is JSON.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startLibp2pSimnet } from '../src/simnet/libp2p/simnet.js';
import { benchArgs, machine, median } from './util.js';

const { flags } = benchArgs('libp2p.bench.js [options]',
  'Crawls a loopback libp2p Kademlia network of real js-libp2p nodes: identify, then FIND_NODE for crafted keys\n' +
  'at each common-prefix length 0-15, every peer once. Reports coverage, t99 (99% of the nodes measured),\n' +
  'crawler CPU per peer visited (user + system of the crawler\'s process) and the crawler\'s peak RSS.', {
    nodes: { type: 'int', help: 'simnet nodes', default: 300, min: 2 },
    runs: { type: 'int', help: 'crawls of the network', default: 3, min: 1 },
    concurrency: { type: 'int', help: 'visits in flight', default: 200, min: 1 },
    'keys-per-cpl': { type: 'int', help: 'FIND_NODE keys per common-prefix length', default: 1, min: 1, max: 3 },
    port: { type: 'int', help: 'simnet TCP port', default: 4001, min: 1, max: 65535 },
    seed: { type: 'string', help: 'simnet seed', default: 'bench-libp2p' },
  });

const dir = mkdtempSync(join(tmpdir(), 'dhtscope-bench-libp2p-'));
const truthFile = join(dir, 'truth.json');
const child = fileURLToPath(new URL('./libp2p-child.js', import.meta.url));
const net = await startLibp2pSimnet({ nodes: flags.nodes as number, seed: flags.seed as string, port: flags.port as number, truthFile });
process.stderr.write(`bench:libp2p: ${flags.nodes} nodes up in ${(net.truth.startupMs / 1000).toFixed(1)} s\n`);
interface Run { coverage: number; t99Ms: number | null; elapsedMs: number; visits: number; retries: number; cplFailed: number; cpuMsPerPeer: number; peakRssMB: number; dialErrors: Record<string, number> }
const runs: Run[] = [];
try {
  for (let i = 0; i < (flags.runs as number); i++) {
    const { stdout } = await promisify(execFile)(process.execPath, [child, truthFile, String(flags.concurrency), String(flags['keys-per-cpl'])], { maxBuffer: 1 << 20 });
    const r = JSON.parse(stdout.trim().split('\n').pop()!) as Run;
    runs.push(r);
    process.stderr.write(`bench:libp2p: run ${i + 1}: ${(100 * r.coverage).toFixed(2)}% in ${(r.elapsedMs / 1000).toFixed(1)} s, t99 ${r.t99Ms === null ? '-' : (r.t99Ms / 1000).toFixed(1) + ' s'}, ` +
      `${r.cpuMsPerPeer.toFixed(1)} ms CPU per peer, ${r.peakRssMB} MB, ${r.retries} dials retried, ${r.cplFailed} bucket lengths unanswered, dial errors ${JSON.stringify(r.dialErrors)}\n`);
  }
} finally {
  await net.stop();
  rmSync(dir, { recursive: true, force: true });
}
const med = (f: (r: Run) => number | null) => { const xs = runs.map(f).filter((x): x is number => x !== null); return xs.length ? median(xs) : null; };
process.stdout.write(JSON.stringify({
  bench: 'libp2p', nodes: flags.nodes, runs: runs.length, concurrency: flags.concurrency, keysPerCpl: flags['keys-per-cpl'],
  coverage: med((r) => r.coverage), t99Ms: med((r) => r.t99Ms), cpuMsPerPeer: med((r) => r.cpuMsPerPeer), peakRssMB: med((r) => r.peakRssMB),
  startupMs: net.truth.startupMs, load: loadavg()[0], machine: machine(), all: runs,
}) + '\n');
