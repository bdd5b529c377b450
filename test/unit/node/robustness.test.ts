import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { Discv5Node } from '../../../src/node/node.js';
import { encodeHeader, encodePacket, handshakeAuthdata } from '../../../src/wire/packet.js';
import { Flag } from '../../../src/wire/constants.js';
import { loadVectors, rng, randomBytes } from '../../helpers.js';
import { fromHex } from '../../../src/util/bytes.js';

const DATAGRAMS = 50_000;
const BATCH = 40;

describe('node under malformed input', () => {
  const nodes: Discv5Node[] = [];
  after(async () => { await Promise.all(nodes.map((n) => n.close())); });

  it(`survives ${DATAGRAMS} malformed, truncated, oversized, garbage-handshake and replayed datagrams`, { timeout: 120_000 }, async () => {
    const target = await Discv5Node.create({ ip: '127.0.0.1' });
    const client = await Discv5Node.create({ ip: '127.0.0.1' });
    nodes.push(target, client);
    // Capture a real exchange to replay it.
    const captured: Uint8Array[] = [];
    const t = client.transport!;
    const origSend = t.send.bind(t);
    t.send = (d, ip, port) => { captured.push(Uint8Array.from(d)); origSend(d, ip, port); };
    assert.ok((await client.session.ping(target.address)).ok);
    t.send = origSend;
    const vectors = loadVectors('discv5-wire.json').packets.map((p: any) => fromHex(p.packet));
    const r = rng(99);
    const heapBefore = process.memoryUsage().heapUsed;
    const sock = createSocket('udp4');
    await new Promise<void>((res) => sock.bind(0, '127.0.0.1', () => res()));
    const targetId = target.id;
    const gen = (i: number): Uint8Array => {
      switch (i % 7) {
        case 0: return randomBytes(r, Math.floor(r() * 1400));
        case 1: { const v = vectors[i % vectors.length]!; return v.subarray(0, Math.floor(r() * v.length)); }
        case 2: return randomBytes(r, 1281 + Math.floor(r() * 200));
        case 3: // garbage handshake masked for the target
          return encodePacket(targetId, randomBytes(r, 16), encodeHeader(Flag.Handshake, randomBytes(r, 12),
            handshakeAuthdata(randomBytes(r, 32), randomBytes(r, 64), randomBytes(r, 33), r() < 0.5 ? randomBytes(r, 100) : null)), randomBytes(r, 40));
        case 4: return captured[i % captured.length]!; // replays
        case 5: // message packets from random unknown senders: each costs a WHOAREYOU (63 bytes, never more)
          return encodePacket(targetId, randomBytes(r, 16), encodeHeader(Flag.Message, randomBytes(r, 12), randomBytes(r, 32)), randomBytes(r, 30));
        default: { const v = Uint8Array.from(vectors[i % vectors.length]!); v[Math.floor(r() * v.length)]! ^= 0xff; return v; }
      }
    };
    for (let i = 0; i < DATAGRAMS; i += BATCH) {
      for (let j = i; j < i + BATCH && j < DATAGRAMS; j++) sock.send(gen(j), target.port, '127.0.0.1');
      // Pace the sender so the kernel buffer does not simply drop most of them.
      await new Promise((res) => setTimeout(res, 1));
    }
    await new Promise((res) => setTimeout(res, 200));
    sock.close();
    const c = target.session.counters;
    const dropped = Object.values(c.dropped).reduce((a, b) => a + b, 0);
    assert.ok(c.packetsIn > DATAGRAMS * 0.5, `target saw ${c.packetsIn} datagrams`);
    assert.ok(dropped > DATAGRAMS * 0.3, `dropped by reason: ${JSON.stringify(c.dropped)}`);
    assert.ok(c.handshakeNoChallenge + c.handshakeUnknownKey + c.handshakeBadSignature > 0);
    assert.ok(c.whoareyouSent > 0);
    // Bounded state: challenges and sessions are LRU-capped.
    assert.ok((target.session as any).challenges.size <= target.session.config.maxChallenges);
    assert.ok(target.session.sessionCount <= target.session.config.maxSessions);
    // Still answers.
    const fresh = await Discv5Node.create({ ip: '127.0.0.1' });
    nodes.push(fresh);
    const pong = await fresh.session.ping(target.address);
    assert.ok(pong.ok, 'PING after the flood');
    const fn = await fresh.session.findNode(target.address, [0]);
    assert.ok(fn.ok && fn.nodes!.length === 1, 'FINDNODE after the flood');
    const grown = process.memoryUsage().heapUsed - heapBefore;
    assert.ok(grown < 64 * 1024 * 1024, `heap grew by ${grown} bytes`);
  });
});
