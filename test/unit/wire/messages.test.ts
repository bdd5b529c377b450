import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rng, randomBytes } from '../../helpers.js';
import { decodeMessage, encodeMessage, encodeNodes, nodesMessageSize, MessageType, type Message } from '../../../src/wire/messages.js';
import { rlpDecode, rlpEncode, type RlpItem } from '../../../src/wire/rlp.js';
import { WireError } from '../../../src/util/errors.js';
import { decodePacket, encodeHeader, encodePacket, whoareyouAuthdata, handshakeAuthdata } from '../../../src/wire/packet.js';
import { Flag, MAX_PACKET_SIZE } from '../../../src/wire/constants.js';

const ROUNDS = 500;

function randomMessage(r: () => number): Message {
  const reqId = randomBytes(r, Math.floor(r() * 9));
  const seq = BigInt(Math.floor(r() * 2 ** 32)) * BigInt(Math.floor(r() * 2 ** 32));
  switch (Math.floor(r() * 6)) {
    case 0: return { type: MessageType.Ping, reqId, enrSeq: seq };
    case 1: return { type: MessageType.Pong, reqId, enrSeq: seq, ip: randomBytes(r, r() < 0.5 ? 4 : 16), port: Math.floor(r() * 65536) };
    case 2: return { type: MessageType.FindNode, reqId, distances: Array.from({ length: Math.floor(r() * 20) }, () => Math.floor(r() * 257)) };
    case 3: {
      const enrs = Array.from({ length: Math.floor(r() * 5) }, () => rlpEncode([randomBytes(r, 64), randomBytes(r, Math.floor(r() * 100))]));
      return { type: MessageType.Nodes, reqId, total: 1 + Math.floor(r() * 8), enrs };
    }
    case 4: return { type: MessageType.TalkReq, reqId, protocol: randomBytes(r, Math.floor(r() * 10)), request: randomBytes(r, Math.floor(r() * 200)) };
    default: return { type: MessageType.TalkResp, reqId, response: randomBytes(r, Math.floor(r() * 200)) };
  }
}

describe('message codec', () => {
  it(`round-trips ${ROUNDS} random messages of every type`, () => {
    const r = rng(1);
    const seen = new Set<number>();
    for (let i = 0; i < ROUNDS; i++) {
      const m = randomMessage(r);
      seen.add(m.type);
      const enc = encodeMessage(m);
      const dec = decodeMessage(enc);
      assert.deepEqual(dec, m);
      assert.deepEqual(encodeMessage(dec), enc);
    }
    assert.equal(seen.size, 6);
  });

  it('predicts NODES size exactly', () => {
    const r = rng(2);
    for (let i = 0; i < 100; i++) {
      const enrs = Array.from({ length: Math.floor(r() * 8) }, () => rlpEncode([randomBytes(r, 64), randomBytes(r, Math.floor(r() * 150))]));
      const reqId = randomBytes(r, 1 + Math.floor(r() * 8));
      const len = enrs.reduce((a, e) => a + e.length, 0);
      assert.equal(nodesMessageSize(reqId, 3, len), encodeNodes(reqId, 3, enrs).length);
    }
  });

  it('rejects unknown types, long request ids and bad distances', () => {
    const code = (c: string) => (e: unknown) => e instanceof WireError && e.code === c;
    assert.throws(() => decodeMessage(Uint8Array.of(0x07, 0xc0)), code('ERR_MSG_UNKNOWN_TYPE'));
    assert.throws(() => decodeMessage(Uint8Array.of(0x00, 0xc0)), code('ERR_MSG_UNKNOWN_TYPE'));
    const longId = Uint8Array.of(0x01, ...rlpEncode([new Uint8Array(9), new Uint8Array(0)]));
    assert.throws(() => decodeMessage(longId), code('ERR_MSG_BAD_REQUEST_ID'));
    const badDist = Uint8Array.of(0x03, ...rlpEncode([Uint8Array.of(1), [Uint8Array.of(1, 1)]]));
    assert.throws(() => decodeMessage(badDist), code('ERR_MSG_BAD_FIELD'));
    assert.throws(() => encodeMessage({ type: MessageType.Ping, reqId: new Uint8Array(9), enrSeq: 1n }), code('ERR_MSG_BAD_REQUEST_ID'));
  });
});

describe('packet codec', () => {
  const r = rng(3);
  const code = (c: string) => (e: unknown) => e instanceof WireError && e.code === c;
  const dest = randomBytes(r, 32);

  it('round-trips every flag', () => {
    for (let i = 0; i < 200; i++) {
      const iv = randomBytes(r, 16);
      const nonce = randomBytes(r, 12);
      const flag = Math.floor(r() * 3) as Flag;
      const auth = flag === Flag.Message ? randomBytes(r, 32)
        : flag === Flag.WhoAreYou ? whoareyouAuthdata(randomBytes(r, 16), BigInt(Math.floor(r() * 1e9)))
        : handshakeAuthdata(randomBytes(r, 32), randomBytes(r, 64), randomBytes(r, 33), r() < 0.5 ? null : randomBytes(r, 120));
      const msg = flag === Flag.WhoAreYou ? new Uint8Array(0) : randomBytes(r, 16 + Math.floor(r() * 300));
      const pkt = encodePacket(dest, iv, encodeHeader(flag, nonce, auth), msg);
      const p = decodePacket(pkt, dest);
      assert.equal(p.flag, flag);
      assert.deepEqual(p.nonce, nonce);
      assert.deepEqual(p.authdata, auth);
      assert.deepEqual(p.message, msg);
    }
  });

  it('enforces size, protocol, version and authdata limits', () => {
    const iv = randomBytes(r, 16);
    const ok = encodePacket(dest, iv, encodeHeader(Flag.Message, randomBytes(r, 12), randomBytes(r, 32)), randomBytes(r, 20));
    assert.throws(() => decodePacket(ok.subarray(0, 62), dest), code('ERR_PACKET_TOO_SHORT'));
    assert.throws(() => decodePacket(new Uint8Array(MAX_PACKET_SIZE + 1), dest), code('ERR_PACKET_TOO_LARGE'));
    assert.throws(() => decodePacket(ok, randomBytes(r, 32)), code('ERR_PACKET_BAD_PROTOCOL'));
    const h = encodeHeader(Flag.Message, randomBytes(r, 12), randomBytes(r, 32));
    h[7] = 2;
    assert.throws(() => decodePacket(encodePacket(dest, iv, h, randomBytes(r, 20)), dest), code('ERR_PACKET_BAD_VERSION'));
    const h2 = encodeHeader(Flag.Message, randomBytes(r, 12), randomBytes(r, 32));
    h2[21] = 0x04; // authdata-size 1056 > packet
    assert.throws(() => decodePacket(encodePacket(dest, iv, h2, randomBytes(r, 20)), dest), code('ERR_PACKET_BAD_AUTHDATA_SIZE'));
    const h3 = encodeHeader(Flag.Message, randomBytes(r, 12), randomBytes(r, 32));
    h3[8] = 3;
    assert.throws(() => decodePacket(encodePacket(dest, iv, h3, randomBytes(r, 20)), dest), code('ERR_PACKET_BAD_FLAG'));
  });
});

describe('rlp', () => {
  it('round-trips nested structures', () => {
    const r = rng(4);
    const gen = (d: number): RlpItem => (d > 3 || r() < 0.6) ? randomBytes(r, Math.floor(r() * (r() < 0.1 ? 300 : 60))) : Array.from({ length: Math.floor(r() * 5) }, () => gen(d + 1));
    for (let i = 0; i < 300; i++) {
      const it = gen(0);
      assert.deepEqual(rlpDecode(rlpEncode(it)), it);
    }
  });
});
