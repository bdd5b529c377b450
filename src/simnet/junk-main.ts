// The junk sender's process (startJunkFlood): sends `count` datagrams from JunkGenerator at ratePerSec, then
// reports the counts over IPC and exits. A 'stop' message ends it early.
import { createSocket } from 'node:dgram';
import { fromHex } from '../util/bytes.js';
import { JUNK_POOL, JunkGenerator, type JunkFloodOptions, type JunkFloodResult } from './junk.js';

const o = JSON.parse(process.argv[2]!) as Omit<JunkFloodOptions, 'targetId'> & { targetId: string };
const gen = new JunkGenerator(fromHex(o.targetId), o.seed);
const sock = createSocket('udp4');
let stopped = false;
process.on('message', (m) => { if (m === 'stop') stopped = true; });
await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
// Made before the flood, so that making them costs none of the CPU the target shares; later rounds replay them.
const pool = Array.from({ length: Math.min(o.count, JUNK_POOL) }, (_, i) => gen.next(i));
const t0 = performance.now();
let sent = 0;
while (sent < o.count && !stopped) {
  const due = Math.min(o.count, Math.ceil(((performance.now() - t0) * o.ratePerSec) / 1000));
  while (sent < due) sock.send(pool[sent++ % pool.length]!, o.port, o.ip);
  await new Promise((r) => setTimeout(r, 1));
}
// Sends complete asynchronously: let the last ones leave before the socket closes.
await new Promise((r) => setTimeout(r, 100));
sock.close();
const result: JunkFloodResult = { sent, ms: Math.round(performance.now() - t0), byKind: gen.counts };
process.send!(result, () => process.exit(0));
