import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SessionLayer, type NodeAddress } from '../../../src/session/session-layer.js';
import { createEnr } from '../../../src/enr/enr.js';
import { secp } from '../../../src/crypto/index.js';
import { MessageType } from '../../../src/wire/messages.js';
import type { DatagramTransport } from '../../../src/transport/types.js';
import type { DatagramHandler } from '../../../src/transport/udp.js';

const be = secp();
/** Size of a WHOAREYOU packet (masking-iv 16 + static header 23 + authdata 24). */
const WHOAREYOU_BYTES = 63;

/** In-memory datagram network; `hold` may keep a datagram back instead of delivering it. */
class MemNet {
  private readonly handlers = new Map<string, DatagramHandler>();
  hold: ((data: Uint8Array, from: string, to: string) => boolean) | null = null;
  endpoint(ip: string, port: number): DatagramTransport {
    const self = `${ip}:${port}`;
    return {
      send: (data, toIp, toPort) => {
        const to = `${toIp}:${toPort}`;
        const copy = Uint8Array.from(data);
        if (this.hold?.(copy, self, to)) return;
        setImmediate(() => this.handlers.get(to)?.(copy, ip, port, process.hrtime.bigint()));
      },
      onDatagram: (h) => { this.handlers.set(self, h); },
    };
  }
  deliver(data: Uint8Array, from: string, to: string): void {
    const [ip, port] = from.split(':');
    this.handlers.get(to)?.(data, ip!, Number(port), process.hrtime.bigint());
  }
}

function layer(net: MemNet, ip: string, config: ConstructorParameters<typeof SessionLayer>[2] = {}) {
  const sk = be.generatePrivateKey();
  const enr = createEnr(sk, 1n, { ip: Uint8Array.from(ip.split('.').map(Number)), udp: 30303 });
  const s = new SessionLayer(net.endpoint(ip, 30303), { sk, id: enr.nodeId(), enr }, config);
  const addr: NodeAddress = { id: enr.nodeId(), pubkey: enr.publicKey, ip, port: 30303 };
  return { s, addr };
}

/** Initiator A (short timeout, one retransmit) and responder B answering PING, on one in-memory network. */
function pair(ipA: string, ipB: string) {
  const net = new MemNet();
  const a = layer(net, ipA, { requestTimeoutMs: 150, retransmits: 1 });
  const b = layer(net, ipB);
  b.s.onRequest((m) => (m.type === MessageType.Ping ? [{ type: MessageType.Pong, reqId: m.reqId, enrSeq: 1n, ip: new Uint8Array(4), port: 0 }] : null));
  return { net, a, b };
}

describe('handshake when a WHOAREYOU arrives after our retransmit', () => {
  it('redoes the handshake over the latest challenge instead of timing out on the stale one', async () => {
    const { net, a, b } = pair('127.60.0.1', '127.60.0.2');
    // Hold B's first two WHOAREYOUs: the first one is "late", it reaches A only after A resent its random packet.
    const held: Uint8Array[] = [];
    net.hold = (d, from) => from.startsWith('127.60.0.2') && d.length === WHOAREYOU_BYTES && held.length < 2 && held.push(d) > 0;
    const pong = a.s.ping(b.addr);
    while (held.length < 2) await new Promise((r) => setTimeout(r, 10));
    net.hold = null;
    net.deliver(held[0]!, '127.60.0.2:30303', '127.60.0.1:30303');
    net.deliver(held[1]!, '127.60.0.2:30303', '127.60.0.1:30303');
    const r = await pong;
    assert.ok(r.ok, `ping failed: ${!r.ok && r.reason}`);
    assert.equal(a.s.counters.handshakesRedone, 1);
    // B holds only the challenge it sent last: the handshake over the first was refused, the redone one taken.
    assert.equal(b.s.counters.handshakeBadSignature, 1);
    assert.equal(b.s.counters.handshakesIn, 1);
    a.s.close(); b.s.close();
  });

  it('a late WHOAREYOU alone (retransmit lost) still completes the handshake', async () => {
    const { net, a, b } = pair('127.60.0.3', '127.60.0.4');
    const held: Uint8Array[] = [];
    let dropped = 0;
    net.hold = (d, from) => {
      if (from.startsWith('127.60.0.4') && d.length === WHOAREYOU_BYTES && held.length === 0) { held.push(d); return true; }
      // A's retransmitted random packet is lost: B keeps its first challenge.
      if (from.startsWith('127.60.0.3') && held.length === 1 && dropped === 0) { dropped++; return true; }
      return false;
    };
    const pong = a.s.ping(b.addr);
    while (dropped === 0) await new Promise((r) => setTimeout(r, 10));
    net.hold = null;
    net.deliver(held[0]!, '127.60.0.4:30303', '127.60.0.3:30303');
    const r = await pong;
    assert.ok(r.ok, `ping failed: ${!r.ok && r.reason}`);
    assert.equal(a.s.counters.handshakesRedone, 0);
    assert.equal(b.s.counters.handshakeBadSignature, 0);
    a.s.close(); b.s.close();
  });
});
