import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rng, randomBytes } from '../../helpers.js';
import {
  decodeKadMessage, encodeFindNodeRequest, encodeKadMessage, frame, readFrame, KadMessageType, MAX_KAD_MESSAGE_BYTES,
  type KadMessage, type KadPeer,
} from '../../../src/libp2p/kad-wire.js';
import { KadError } from '../../../src/util/errors.js';

// js-libp2p kad-dht's own generated protobuf codec (protons), by path: the package exports only its index.
const jsDht: any = await import(new URL('./message/dht.js', import.meta.resolve('@libp2p/kad-dht')).href);
const JsMessage = jsDht.Message;
const TYPE_NAMES = ['PUT_VALUE', 'GET_VALUE', 'ADD_PROVIDER', 'GET_PROVIDERS', 'FIND_NODE', 'PING'];
const CONNECTION_NAMES = ['NOT_CONNECTED', 'CONNECTED', 'CAN_CONNECT', 'CANNOT_CONNECT'];

const isDecodeError = (e: unknown) => e instanceof KadError && e.code === 'ERR_KAD_DECODE';
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (h: string) => Uint8Array.from(Buffer.from(h.replace(/\s+/g, ''), 'hex'));

function randomPeer(r: () => number): KadPeer {
  return {
    id: randomBytes(r, r() < 0.1 ? 0 : 34 + Math.floor(r() * 10)),
    addrs: Array.from({ length: Math.floor(r() * 4) }, () => randomBytes(r, Math.floor(r() * 40))),
    connection: Math.floor(r() * 4),
  };
}

/** A message with every field filled, as decode returns it. */
function randomMessage(r: () => number, opts: { clusterLevel?: boolean } = {}): Required<KadMessage> {
  const peers = (max: number) => Array.from({ length: Math.floor(r() * max) }, () => randomPeer(r));
  return {
    type: Math.floor(r() * 6),
    key: r() < 0.2 ? null : randomBytes(r, Math.floor(r() * 50)),
    record: r() < 0.7 ? null : randomBytes(r, Math.floor(r() * 300)),
    closerPeers: peers(21),
    providerPeers: peers(3),
    clusterLevelRaw: opts.clusterLevel === false ? 0 : r() < 0.5 ? 0 : Math.floor((r() - 0.5) * 2 ** 32),
  };
}

/** Our message as js-libp2p's codec models it (enum names, absent rather than zero/null). */
function toJs(m: Required<KadMessage>): any {
  const peer = (p: KadPeer) => ({
    id: p.id, multiaddrs: p.addrs, connection: p.connection === 0 ? undefined : CONNECTION_NAMES[p.connection],
  });
  return {
    type: TYPE_NAMES[m.type],
    clusterLevel: m.clusterLevelRaw === 0 ? undefined : m.clusterLevelRaw,
    key: m.key ?? undefined,
    record: m.record ?? undefined,
    closer: m.closerPeers.map(peer),
    providers: m.providerPeers.map(peer),
  };
}

/** js-libp2p's decoded message in our shape. */
function fromJs(j: any): Required<KadMessage> {
  const peer = (p: any): KadPeer => ({
    id: new Uint8Array(p.id), addrs: p.multiaddrs.map((a: Uint8Array) => new Uint8Array(a)),
    connection: p.connection == null ? 0 : CONNECTION_NAMES.indexOf(p.connection),
  });
  return {
    type: TYPE_NAMES.indexOf(j.type),
    key: j.key == null ? null : new Uint8Array(j.key),
    record: j.record == null ? null : new Uint8Array(j.record),
    closerPeers: j.closer.map(peer),
    providerPeers: j.providers.map(peer),
    clusterLevelRaw: j.clusterLevel ?? 0,
  };
}

/** Copies every byte field into a plain Uint8Array so deepEqual compares contents, not views. */
function plain(m: KadMessage): KadMessage {
  const peer = (p: KadPeer) => ({ id: new Uint8Array(p.id), addrs: p.addrs.map((a) => new Uint8Array(a)), connection: p.connection });
  return {
    type: m.type,
    key: m.key == null ? null : new Uint8Array(m.key),
    closerPeers: m.closerPeers.map(peer),
    record: m.record == null ? null : new Uint8Array(m.record),
    providerPeers: (m.providerPeers ?? []).map(peer),
    clusterLevelRaw: m.clusterLevelRaw ?? 0,
  };
}

/** Throws unless `fn` returns or fails with our decode error (never a RangeError or anything else). */
function decodesOrRejects(fn: () => unknown): boolean {
  try { fn(); return true; } catch (e) {
    if (!isDecodeError(e)) throw e;
    return false;
  }
}

describe('kad message codec', () => {
  it('round-trips 1,000 random messages, re-encoding to the same bytes', () => {
    const r = rng(22);
    for (let i = 0; i < 1000; i++) {
      const m = randomMessage(r);
      const enc = encodeKadMessage(m);
      const dec = decodeKadMessage(enc);
      assert.deepEqual(plain(dec), plain(m));
      assert.deepEqual(encodeKadMessage(dec), enc);
    }
  });

  it('encodes a FIND_NODE request as type 4 and the key, framed', () => {
    const key = bytes('1220' + '00'.repeat(32));
    assert.equal(hex(encodeFindNodeRequest(key)), '26' + '0804' + '1222' + hex(key));
    const f = readFrame(encodeFindNodeRequest(key))!;
    const m = decodeKadMessage(f.payload);
    assert.equal(m.type, KadMessageType.FindNode);
    assert.deepEqual(new Uint8Array(m.key!), key);
    assert.throws(() => encodeFindNodeRequest(new Uint8Array(0)), (e: unknown) => e instanceof KadError && e.code === 'ERR_KAD_ENCODE');
  });

  it('leaves out proto3 defaults and keeps a present empty key', () => {
    assert.equal(hex(encodeKadMessage({ type: KadMessageType.PutValue, key: null, closerPeers: [] })), '');
    assert.deepEqual(plain(decodeKadMessage(new Uint8Array(0))), plain({ type: 0, key: null, closerPeers: [] }));
    const empty = encodeKadMessage({ type: KadMessageType.Ping, key: new Uint8Array(0), closerPeers: [] });
    assert.equal(hex(empty), '0805' + '1200');
    assert.deepEqual(decodeKadMessage(empty).key, new Uint8Array(0));
  });

  it('sign-extends a negative cluster level to 10 bytes and reads an int32 from a 64-bit varint', () => {
    const enc = encodeKadMessage({ type: 1, key: null, closerPeers: [], clusterLevelRaw: -1 });
    assert.equal(hex(enc), '0801' + '50' + 'ff'.repeat(9) + '01');
    assert.equal(decodeKadMessage(enc).clusterLevelRaw, -1);
    // 2^32 + 7 as a varint: protobuf keeps the low 32 bits.
    assert.equal(decodeKadMessage(bytes('08 87 80 80 80 10')).type, 7);
    assert.throws(() => encodeKadMessage({ type: 2 ** 31, key: null, closerPeers: [] }), (e: unknown) => e instanceof KadError);
  });

  it('skips unknown fields of every wire type, at the top and inside peers', () => {
    const m = randomMessage(rng(5));
    m.closerPeers = [randomPeer(rng(6)), randomPeer(rng(7))];
    m.closerPeers[0]!.id = randomBytes(rng(8), 38);
    const unknown = [
      'f807 96 01', // field 127 varint 150
      '21 0102030405060708', // field 4, fixed64
      '2a 03 aabbcc', // field 5, bytes
      '35 01020304', // field 6, fixed32
      '3b 0801 4b 1200 4c 3c', // field 7 group holding a varint and a nested group (field 9) with a bytes field
      '11 0000000000000000', // field 2 (key, or a peer's addrs) sent as fixed64: skipped, as Go does
    ].join('');
    const withUnknown = (enc: Uint8Array) => new Uint8Array([...bytes(unknown), ...enc, ...bytes(unknown)]);
    // Rebuild the message with the unknown fields inside each peer too.
    const peerBody = (p: KadPeer) => encodeKadMessage({ type: 0, key: null, closerPeers: [p] }).subarray(2);
    const base = encodeKadMessage({ ...m, closerPeers: [] });
    const parts: number[] = [...withUnknown(base)];
    for (const p of m.closerPeers) {
      const body = withUnknown(peerBody(p));
      assert.ok(body.length < 128);
      parts.push(0x42, body.length, ...body);
    }
    const dec = decodeKadMessage(Uint8Array.from(parts));
    assert.deepEqual(plain(dec), plain(m));
  });

  it('rejects malformed input with ERR_KAD_DECODE', () => {
    const bad = [
      '0a', // field 1 bytes, no length
      '12 05 0102', // key longer than the input
      '08', // type tag, no value
      '08 ffffffffffffffffffff01', // varint of 11 bytes
      '08 ffffffffffffffffff02', // tenth byte above bit 63
      '00 00', // field number 0
      '0e', // field 1, wire type 6
      '0f', // field 1, wire type 7
      '0c', // end of a group that never started
      '0b 0801', // group never closed
      '0b 14', // group closed by another field number
      '42 04 0a 07 0102', // peer whose id runs past the peer
      '42 ff ff ff ff 0f', // peer length of 2^32-1
      '12 80 80 80 80 80 80 80 80 01', // length of 2^63
      '21 0102', // truncated fixed64
      '2d 01', // truncated fixed32
      '8080808080808080808001', // tag wider than 32 bits
      ('0b').repeat(20) + ('0c').repeat(20), // groups nested 20 deep
    ];
    for (const h of bad) assert.throws(() => decodeKadMessage(bytes(h)), isDecodeError, h);
  });

  it('fails every truncation and mutation of real messages only with ERR_KAD_DECODE (seeded fuzz)', () => {
    const r = rng(0x6b6164);
    let rejected = 0;
    let total = 0;
    for (let i = 0; i < 300; i++) {
      const enc = encodeKadMessage(randomMessage(r));
      for (let cut = 0; cut < enc.length; cut += 1 + Math.floor(r() * 7)) {
        total++;
        if (!decodesOrRejects(() => decodeKadMessage(enc.subarray(0, cut)))) rejected++;
      }
      for (let j = 0; j < 20; j++) {
        const mut = new Uint8Array(enc);
        const flips = 1 + Math.floor(r() * 4);
        for (let k = 0; k < flips && mut.length > 0; k++) mut[Math.floor(r() * mut.length)] ^= 1 << Math.floor(r() * 8);
        total++;
        if (!decodesOrRejects(() => decodeKadMessage(mut))) rejected++;
      }
    }
    for (let i = 0; i < 20000; i++) {
      const junk = randomBytes(r, Math.floor(r() * 64));
      total++;
      if (!decodesOrRejects(() => decodeKadMessage(junk))) rejected++;
      decodesOrRejects(() => readFrame(junk, Math.floor(r() * 4)));
    }
    // The loop must have reached the error paths, not just valid prefixes.
    assert.ok(rejected > total / 4, `${rejected} of ${total} rejected`);
  });

  it('rejects an oversized message, frame or length prefix', () => {
    assert.throws(() => decodeKadMessage(new Uint8Array(MAX_KAD_MESSAGE_BYTES + 1)), isDecodeError);
    assert.throws(() => frame(new Uint8Array(MAX_KAD_MESSAGE_BYTES + 1)), (e: unknown) => e instanceof KadError && e.code === 'ERR_KAD_ENCODE');
    const max = frame(new Uint8Array(MAX_KAD_MESSAGE_BYTES));
    assert.equal(hex(max.subarray(0, 4)), '80808002');
    assert.equal(readFrame(max.subarray(0, 1000)), null);
    assert.equal(readFrame(max)!.payload.length, MAX_KAD_MESSAGE_BYTES);
    // One byte more than the limit is refused from the prefix alone, before any payload arrives.
    assert.throws(() => readFrame(bytes('81808002')), isDecodeError);
    assert.throws(() => readFrame(bytes('ffffffff')), isDecodeError);
    // A non-minimal prefix longer than the limit's own is refused too: no peer sends one.
    assert.throws(() => readFrame(bytes('8180808000')), isDecodeError);
  });

  it('reads frames incrementally: null until each is whole, then the next offset', () => {
    const r = rng(3);
    const payloads = [new Uint8Array(0), randomBytes(r, 1), randomBytes(r, 127), randomBytes(r, 128), randomBytes(r, 20000)];
    const stream = new Uint8Array(payloads.reduce((a, p) => a + frame(p).length, 0));
    let o = 0;
    for (const p of payloads) { stream.set(frame(p), o); o += frame(p).length; }
    const got: Uint8Array[] = [];
    let offset = 0;
    for (let have = 0; have <= stream.length; have++) {
      const view = stream.subarray(0, have);
      for (let f = readFrame(view, offset); f !== null; f = readFrame(view, offset)) {
        got.push(f.payload);
        offset = f.end;
      }
    }
    assert.equal(offset, stream.length);
    assert.deepEqual(got.map(hex), payloads.map(hex));
    assert.equal(readFrame(stream, stream.length), null);
  });
});

describe('kad message interop with js-libp2p kad-dht (its protons codec)', () => {
  it('encodes the same bytes as js-libp2p for 500 random messages without a cluster level', () => {
    const r = rng(16);
    for (let i = 0; i < 500; i++) {
      const m = randomMessage(r, { clusterLevel: false });
      assert.equal(hex(encodeKadMessage(m)), hex(JsMessage.encode(toJs(m))));
    }
  });

  it('decodes what js-libp2p encodes, and js-libp2p decodes what we encode, cluster level included', () => {
    const r = rng(17);
    for (let i = 0; i < 500; i++) {
      const m = randomMessage(r);
      assert.deepEqual(plain(decodeKadMessage(JsMessage.encode(toJs(m)))), plain(m));
      assert.deepEqual(plain(fromJs(JsMessage.decode(encodeKadMessage(m)))), plain(m));
    }
  });

  it('frames like js-libp2p: a FIND_NODE request it can read', () => {
    const key = randomBytes(rng(9), 34);
    const f = readFrame(encodeFindNodeRequest(key))!;
    const j = JsMessage.decode(f.payload);
    assert.equal(j.type, 'FIND_NODE');
    assert.deepEqual(new Uint8Array(j.key), key);
  });
});
