// npm run bench:simnet — simnet start-up time, memory per node, and handshakes/s per core.
// Flags: --nodes N (default 10,000 live, one shard), --dead N, --port P.
import { startSimnet } from '../src/simnet/simnet.js';
import { SessionLayer } from '../src/session/session-layer.js';
import { UdpTransport } from '../src/transport/udp.js';
import { createEnr, decodeEnrText } from '../src/enr/enr.js';
import { secp } from '../src/crypto/index.js';
import { addressOf } from '../src/node/node.js';
import { benchArgs, machine } from './util.js';

const { flags } = benchArgs('simnet.bench.js [options]',
  'Simnet start-up time, memory per node, and full handshakes per second against it. The last line is JSON.', {
    nodes: { type: 'int', help: 'live simnet nodes (one shard)', default: 10_000, min: 1 },
    dead: { type: 'int', help: 'dead records in the simnet tables', default: 15_000, min: 0 },
    port: { type: 'int', help: 'simnet UDP port', default: 30313, min: 1, max: 65535 },
    concurrency: { type: 'int', help: 'handshakes in flight', default: 400, min: 1 },
  });
const nodes = flags.nodes as number;
const t0 = performance.now();
const net = await startSimnet({ nodes, dead: flags.dead as number, rttMs: [0, 0], loss: 0, port: flags.port as number, seed: 'bench' });
const startupMs = performance.now() - t0;
const before = await net.stats();
const rssMB = before.reduce((a, s) => a + s.rssBytes, 0) / 2 ** 20;
const heapMB = before.reduce((a, s) => a + s.heapUsedBytes, 0) / 2 ** 20;

// Load: one fresh session per node (a full handshake each), `concurrency` at a time.
const be = secp();
const sk = be.generatePrivateKey();
const enr = createEnr(sk, 1n, {});
const t = await UdpTransport.bind({ address: '127.0.0.1' });
const s = new SessionLayer(t, { sk, id: enr.nodeId(), enr }, { requestTimeoutMs: 2000, retransmits: 1, collectNodes: false });
const targets = net.truth.live.map((l) => addressOf(decodeEnrText(l.enr))!);
let next = 0, ok = 0;
const w0 = performance.now();
await Promise.all(Array.from({ length: flags.concurrency as number }, async () => {
  while (next < targets.length) {
    const r = await s.ping(targets[next++]!);
    if (r.ok) ok++;
  }
}));
const wallMs = performance.now() - w0;
const after = await net.stats();
const handshakes = after.reduce((a, x) => a + x.handshakes, 0) - before.reduce((a, x) => a + x.handshakes, 0);
const cpuUs = after.reduce((a, x) => a + x.cpuUserUs + x.cpuSystemUs, 0) - before.reduce((a, x) => a + x.cpuUserUs + x.cpuSystemUs, 0);
s.close(); await t.close();
await net.stop();

const result = {
  bench: 'simnet', machine: machine(), liveNodes: nodes, deadRecords: flags.dead, shards: before.length,
  startupMs: Math.round(startupMs), rssMB: Math.round(rssMB), rssKBPerNode: Math.round((rssMB * 1024) / nodes), heapKBPerNode: Math.round((heapMB * 1024) / nodes),
  handshakes, pingsOk: ok, wallMs: Math.round(wallMs), handshakesPerSecWall: Math.round((handshakes * 1000) / wallMs),
  shardCpuUsPerHandshake: Math.round(cpuUs / Math.max(1, handshakes)), handshakesPerSecPerCore: Math.round((handshakes * 1e6) / Math.max(1, cpuUs)),
};
console.log(`simnet on ${result.machine}`);
console.log(`  ${nodes} live nodes + ${flags.dead} dead records in ${result.shards} shard process(es)`);
console.log(`  start-up                 ${(result.startupMs / 1000).toFixed(1)} s (identities, signed records, tables, ${nodes} sockets bound)`);
console.log(`  memory                   ${result.rssMB} MB RSS in shards = ${result.rssKBPerNode} KB per live node (heap ${result.heapKBPerNode} KB)`);
console.log(`  handshakes               ${handshakes} in ${(wallMs / 1000).toFixed(1)} s = ${result.handshakesPerSecWall}/s wall (load generator on the same 2 cores)`);
console.log(`  shard CPU per handshake  ${result.shardCpuUsPerHandshake} us = ${result.handshakesPerSecPerCore} handshakes/s per core sustained`);
console.log(JSON.stringify(result));
