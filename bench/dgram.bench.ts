// npm run bench:dgram — what the datagram path costs the crawl's main thread per datagram, through
// UdpTransport (Node's dgram: a JS -> C++ crossing, a Buffer and a syscall per datagram). Issue 19 asks for
// a batched native path (recvmmsg/sendmmsg) only if this is >= 20% of the main thread's time per request.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { UdpTransport } from '../src/transport/udp.js';
import { readThreadCpu } from './thread-cpu.js';
import { benchArgs, machine } from './util.js';

const PEER = process.argv[2] === '--peer';
const { flags } = PEER ? { flags: {} as Record<string, unknown> } : benchArgs('dgram.bench.js [options]',
  'Main-thread CPU per datagram sent and per datagram received through UdpTransport on loopback, the peer in\n' +
  'another process. Sends are paced like a crawl (bursts per timer tick), receives come at a fixed rate.\n' +
  'The last line is JSON.', {
    count: { type: 'int', help: 'datagrams each way', default: 100_000, min: 1000, max: 10_000_000 },
    rate: { type: 'int', help: 'datagrams per second each way (a crawl at 3,000 req/s moves ~6,000-9,000)', default: 8000, min: 100, max: 1_000_000 },
    'send-bytes': { type: 'int', help: 'size of a sent datagram (a random packet is ~100 B, a handshake ~300 B)', default: 150, min: 1, max: 1280 },
    'recv-bytes': { type: 'int', help: 'size of a received datagram (a NODES packet is up to 1,280 B)', default: 900, min: 1, max: 1280 },
  });
const count = flags.count as number, rate = flags.rate as number;
/** One pacing tick: the crawl's pump runs on a timer of about this period. */
const TICK_MS = 5;

/** The peer: a child process that drains what it is sent and, on request, sends at a paced rate. */
if (PEER) {
  const t = await UdpTransport.bind({ address: '127.0.0.1' });
  let got = 0;
  t.onDatagram(() => { got++; });
  process.on('message', (m: { op: string; port?: number; count?: number; rate?: number; bytes?: number }) => {
    if (m.op === 'count') process.send!({ got });
    if (m.op === 'blast') {
      const buf = new Uint8Array(m.bytes!).fill(7);
      const perTick = Math.max(1, Math.round((m.rate! * TICK_MS) / 1000));
      let sent = 0;
      const timer = setInterval(() => {
        for (let i = 0; i < perTick && sent < m.count!; i++, sent++) t.send(buf, '127.0.0.1', m.port!);
        if (sent >= m.count!) { clearInterval(timer); process.send!({ done: sent }); }
      }, TICK_MS);
    }
    if (m.op === 'exit') void t.close().then(() => process.exit(0));
  });
  process.send!({ port: t.address.port });
} else {
  const self = fileURLToPath(import.meta.url);
  const peer = fork(self, ['--peer'], { stdio: 'inherit' });
  const next = <T>() => new Promise<T>((r) => peer.once('message', (m) => r(m as T)));
  const { port: peerPort } = await next<{ port: number }>();
  const t = await UdpTransport.bind({ address: '127.0.0.1' });
  const mainUs = () => readThreadCpu()?.get(process.pid)?.cpuUs ?? NaN;
  const idleUs = async (ms: number) => { const a = mainUs(); await new Promise((r) => setTimeout(r, ms)); return mainUs() - a; };

  // The event loop's own cost with timers but no traffic, subtracted below.
  const idleRate = (await idleUs(2000)) / 2000;

  // 1. Sends, paced like the crawl's pump.
  const out = new Uint8Array(flags['send-bytes'] as number).fill(1);
  const perTick = Math.max(1, Math.round((rate * TICK_MS) / 1000));
  let s0 = mainUs(), w0 = performance.now();
  await new Promise<void>((resolve) => {
    let sent = 0;
    const timer = setInterval(() => {
      for (let i = 0; i < perTick && sent < count; i++, sent++) t.send(out, '127.0.0.1', peerPort);
      if (sent >= count) { clearInterval(timer); resolve(); }
    }, TICK_MS);
  });
  const sendMs = performance.now() - w0;
  const sendUs = (mainUs() - s0 - idleRate * sendMs) / count;
  await new Promise((r) => setTimeout(r, 200));
  peer.send({ op: 'count' });
  const { got } = await next<{ got: number }>();

  // 2. Receives at the same rate, each handed to a handler that only counts (the crawl's would decode).
  let recv = 0;
  t.onDatagram(() => { recv++; });
  s0 = mainUs(); w0 = performance.now();
  peer.send({ op: 'blast', port: t.address.port, count, rate, bytes: flags['recv-bytes'] });
  await next<{ done: number }>();
  await new Promise((r) => setTimeout(r, 200));
  const recvMs = performance.now() - w0;
  const recvUs = (mainUs() - s0 - idleRate * recvMs) / Math.max(1, recv);
  peer.send({ op: 'exit' });
  await t.close();

  const result = {
    bench: 'dgram', machine: machine(), count, rate, sendBytes: flags['send-bytes'], recvBytes: flags['recv-bytes'],
    sendUsPerDatagram: Number(sendUs.toFixed(2)), recvUsPerDatagram: Number(recvUs.toFixed(2)),
    idleLoopUsPerMs: Number(idleRate.toFixed(3)), peerReceived: got, received: recv,
  };
  console.log(`datagram path on ${result.machine}, UdpTransport on loopback, ${rate} datagrams/s each way`);
  console.log(`  send ${result.sendBytes} B: ${result.sendUsPerDatagram} us of main-thread CPU per datagram (${got}/${count} arrived)`);
  console.log(`  receive ${result.recvBytes} B: ${result.recvUsPerDatagram} us per datagram (${recv}/${count} arrived)`);
  console.log(JSON.stringify(result));
}
