import { KadError } from '../util/errors.js';

/**
 * The IPFS / libp2p Kademlia DHT wire format ('/ipfs/kad/1.0.0'): protobuf `Message`s (go-libp2p-kad-dht's
 * pb/dht.proto), each sent with an unsigned-varint length prefix. Hand-written rather than generated so that
 * every malformed byte string fails with a KadError, and only the fields a crawler needs are modelled.
 */
export const KAD_PROTOCOL = '/ipfs/kad/1.0.0';

/**
 * Largest message accepted or framed: go-libp2p-kad-dht reads with msgio's varint reader capped at go-libp2p's
 * network.MessageSizeMax (1 << 22), and js-libp2p's length-prefixed decoder defaults to the same 4 MiB. A
 * FIND_NODE reply is a few KB, but refusing less than the reference peers accept would drop honest replies.
 */
export const MAX_KAD_MESSAGE_BYTES = 4 * 1024 * 1024;

/** Message.MessageType. Protobuf enums are open: a decoded type may hold any other int32. */
export const enum KadMessageType {
  PutValue = 0,
  GetValue = 1,
  AddProvider = 2,
  GetProviders = 3,
  FindNode = 4,
  Ping = 5,
}

/** Message.ConnectionType: what the sender knows of its connection to a peer it lists. */
export const enum KadConnectionType {
  NotConnected = 0,
  Connected = 1,
  CanConnect = 2,
  CannotConnect = 3,
}

/** Message.Peer. `id` is the peer ID's multihash bytes; `addrs` are binary multiaddrs. */
export interface KadPeer {
  id: Uint8Array;
  addrs: Uint8Array[];
  connection: number;
}

/**
 * Message. Decoding fills every field; the optional ones may be left out when encoding. `key` and `record`
 * are null when absent (an empty field that was present decodes as an empty array). `record` is the raw
 * bytes of the embedded record.pb.Record. `clusterLevelRaw` is the wire value: Go writes the (unused) cluster
 * level plus one, so its requests carry 1; leaving it out reads as level 0 in Go and JS alike.
 */
export interface KadMessage {
  type: number;
  key: Uint8Array | null;
  closerPeers: KadPeer[];
  record?: Uint8Array | null;
  providerPeers?: KadPeer[];
  clusterLevelRaw?: number;
}

/** A complete frame found by readFrame: its payload (a view into the input) and the offset just past it. */
export interface KadFrame {
  payload: Uint8Array;
  end: number;
}

// Protobuf wire types.
const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_BYTES = 2;
const WIRE_START_GROUP = 3;
const WIRE_END_GROUP = 4;
const WIRE_FIXED32 = 5;
const FIXED64_SIZE = 8;
const FIXED32_SIZE = 4;
const WIRE_TYPE_BITS = 3;
const WIRE_TYPE_MASK = (1 << WIRE_TYPE_BITS) - 1;

// Field numbers of Message and Message.Peer. All are below 16, so every tag we write is one byte.
const F_TYPE = 1;
const F_KEY = 2;
const F_RECORD = 3;
const F_CLOSER_PEERS = 8;
const F_PROVIDER_PEERS = 9;
const F_CLUSTER_LEVEL = 10;
const P_ID = 1;
const P_ADDRS = 2;
const P_CONNECTION = 3;
const TAG_SIZE = 1;

/** A varint carries 7 bits a byte, so a 64-bit value takes at most 10. */
const MAX_VARINT_BYTES = 10;
const VARINT_CONTINUE = 0x80;
const VARINT_PAYLOAD = 0x7f;
/** Protobuf sign-extends a negative int32 to 64 bits, which always takes the full 10 bytes. */
const NEGATIVE_INT32_SIZE = MAX_VARINT_BYTES;
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
/** Groups are deprecated and no kad implementation sends them; a few levels bounds the recursion. */
const MAX_GROUP_DEPTH = 8;
/** Bytes of the length prefix of the largest frame: a longer prefix can only announce an oversized one. */
const MAX_FRAME_PREFIX_BYTES = varintSize(MAX_KAD_MESSAGE_BYTES);

function decodeError(why: string): KadError {
  return new KadError('ERR_KAD_DECODE', `kad message: ${why}`);
}

function encodeError(why: string): KadError {
  return new KadError('ERR_KAD_ENCODE', `kad message: ${why}`);
}

// ---------------------------------------------------------------------------------------------- encoding

function varintSize(n: number): number {
  let size = 1;
  while (n > VARINT_PAYLOAD) { n = Math.floor(n / (VARINT_PAYLOAD + 1)); size++; }
  return size;
}

function writeVarint(out: Uint8Array, o: number, n: number): number {
  while (n > VARINT_PAYLOAD) {
    out[o++] = (n % (VARINT_PAYLOAD + 1)) | VARINT_CONTINUE;
    n = Math.floor(n / (VARINT_PAYLOAD + 1));
  }
  out[o++] = n;
  return o;
}

function checkInt32(v: number, what: string): void {
  if (!Number.isInteger(v) || v < INT32_MIN || v > INT32_MAX) throw encodeError(`${what} is not an int32`);
}

function int32Size(v: number): number {
  return v < 0 ? NEGATIVE_INT32_SIZE : varintSize(v);
}

function writeInt32(out: Uint8Array, o: number, v: number): number {
  if (v >= 0) return writeVarint(out, o, v);
  let x = BigInt.asUintN(64, BigInt(v));
  for (let i = 1; i < NEGATIVE_INT32_SIZE; i++) {
    out[o++] = Number(x & BigInt(VARINT_PAYLOAD)) | VARINT_CONTINUE;
    x >>= 7n;
  }
  out[o++] = Number(x);
  return o;
}

function bytesFieldSize(b: Uint8Array): number {
  return TAG_SIZE + varintSize(b.length) + b.length;
}

function writeBytesField(out: Uint8Array, o: number, field: number, b: Uint8Array): number {
  out[o++] = (field << WIRE_TYPE_BITS) | WIRE_BYTES;
  o = writeVarint(out, o, b.length);
  out.set(b, o);
  return o + b.length;
}

// Proto3 leaves out an empty id and a zero connection, as Go's generated code does.
function peerBodySize(p: KadPeer): number {
  checkInt32(p.connection, 'peer connection');
  let size = p.id.length > 0 ? bytesFieldSize(p.id) : 0;
  for (const a of p.addrs) size += bytesFieldSize(a);
  if (p.connection !== 0) size += TAG_SIZE + int32Size(p.connection);
  return size;
}

function writePeer(out: Uint8Array, o: number, field: number, p: KadPeer, bodySize: number): number {
  out[o++] = (field << WIRE_TYPE_BITS) | WIRE_BYTES;
  o = writeVarint(out, o, bodySize);
  if (p.id.length > 0) o = writeBytesField(out, o, P_ID, p.id);
  for (const a of p.addrs) o = writeBytesField(out, o, P_ADDRS, a);
  if (p.connection !== 0) {
    out[o++] = (P_CONNECTION << WIRE_TYPE_BITS) | WIRE_VARINT;
    o = writeInt32(out, o, p.connection);
  }
  return o;
}

/**
 * Encodes a Message (unframed), fields in number order as Go writes them. A zero type or cluster level is
 * left out (proto3 defaults); a present key or record is written even when empty.
 */
export function encodeKadMessage(m: KadMessage): Uint8Array {
  checkInt32(m.type, 'type');
  const clusterLevel = m.clusterLevelRaw ?? 0;
  checkInt32(clusterLevel, 'clusterLevelRaw');
  const closer = m.closerPeers;
  const providers = m.providerPeers ?? [];
  const closerSizes = closer.map(peerBodySize);
  const providerSizes = providers.map(peerBodySize);
  let size = 0;
  if (m.type !== 0) size += TAG_SIZE + int32Size(m.type);
  if (m.key != null) size += bytesFieldSize(m.key);
  if (m.record != null) size += bytesFieldSize(m.record);
  for (const s of closerSizes) size += TAG_SIZE + varintSize(s) + s;
  for (const s of providerSizes) size += TAG_SIZE + varintSize(s) + s;
  if (clusterLevel !== 0) size += TAG_SIZE + int32Size(clusterLevel);

  const out = new Uint8Array(size);
  let o = 0;
  if (m.type !== 0) {
    out[o++] = (F_TYPE << WIRE_TYPE_BITS) | WIRE_VARINT;
    o = writeInt32(out, o, m.type);
  }
  if (m.key != null) o = writeBytesField(out, o, F_KEY, m.key);
  if (m.record != null) o = writeBytesField(out, o, F_RECORD, m.record);
  for (let i = 0; i < closer.length; i++) o = writePeer(out, o, F_CLOSER_PEERS, closer[i]!, closerSizes[i]!);
  for (let i = 0; i < providers.length; i++) o = writePeer(out, o, F_PROVIDER_PEERS, providers[i]!, providerSizes[i]!);
  if (clusterLevel !== 0) {
    out[o++] = (F_CLUSTER_LEVEL << WIRE_TYPE_BITS) | WIRE_VARINT;
    o = writeInt32(out, o, clusterLevel);
  }
  return out;
}

/** Prefixes a payload with its unsigned-varint length, as every message on a kad stream is sent. */
export function frame(payload: Uint8Array): Uint8Array {
  if (payload.length > MAX_KAD_MESSAGE_BYTES) {
    throw new KadError('ERR_KAD_ENCODE', `kad frame: ${payload.length} bytes exceeds ${MAX_KAD_MESSAGE_BYTES}`);
  }
  const out = new Uint8Array(varintSize(payload.length) + payload.length);
  out.set(payload, writeVarint(out, 0, payload.length));
  return out;
}

/** A framed FIND_NODE request for `key` (a peer ID's multihash bytes: the peer looks up SHA-256 of them). */
export function encodeFindNodeRequest(key: Uint8Array): Uint8Array {
  // Go peers answer an empty key with an error, never with peers.
  if (key.length === 0) throw encodeError('FIND_NODE needs a key');
  return frame(encodeKadMessage({ type: KadMessageType.FindNode, key, closerPeers: [] }));
}

// ---------------------------------------------------------------------------------------------- decoding

/** A bounds-checked cursor over buf[pos, end). Every failure is a KadError. */
class Reader {
  /** Whether the last varint had bits set above its low 32. */
  private high = false;
  /** Wire type of the last tag read. */
  wire = 0;

  constructor(readonly buf: Uint8Array, public pos: number, readonly end: number) {}

  /** A varint's low 32 bits, unsigned; `high` says whether it was wider. */
  varint(): number {
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < MAX_VARINT_BYTES; i++) {
      if (this.pos >= this.end) throw decodeError('truncated varint');
      const b = this.buf[this.pos++]!;
      const bits = b & VARINT_PAYLOAD;
      if (i < 4) lo |= bits << (7 * i);
      else if (i === 4) { lo |= bits << 28; hi = bits >>> 4; }
      else {
        // The tenth byte holds only bit 63.
        if (i === MAX_VARINT_BYTES - 1 && b > 1) throw decodeError('varint overflows 64 bits');
        hi |= bits << (7 * i - 32);
      }
      if ((b & VARINT_CONTINUE) === 0) {
        this.high = hi !== 0;
        return lo >>> 0;
      }
    }
    throw decodeError('varint longer than 10 bytes');
  }

  /** An int32 field: protobuf keeps the low 32 bits of the varint, as a signed number. */
  int32(): number {
    return this.varint() | 0;
  }

  /** A length prefix, checked against what is left. */
  length(): number {
    const n = this.varint();
    if (this.high || n > this.end - this.pos) throw decodeError('length exceeds input');
    return n;
  }

  bytes(): Uint8Array {
    const n = this.length();
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  /** Reads a tag; returns the field number and sets `wire`. */
  tag(): number {
    const v = this.varint();
    const field = v >>> WIRE_TYPE_BITS;
    if (this.high || field === 0) throw decodeError('bad field tag');
    this.wire = v & WIRE_TYPE_MASK;
    return field;
  }

  advance(n: number): void {
    if (n > this.end - this.pos) throw decodeError('truncated fixed-size field');
    this.pos += n;
  }

  /** Skips the value of a field we do not model (or that came with an unexpected wire type, as Go does). */
  skip(field: number, wire: number, depth: number): void {
    switch (wire) {
      case WIRE_VARINT: this.varint(); return;
      case WIRE_FIXED64: this.advance(FIXED64_SIZE); return;
      case WIRE_BYTES: this.advance(this.length()); return;
      case WIRE_FIXED32: this.advance(FIXED32_SIZE); return;
      case WIRE_START_GROUP: this.skipGroup(field, depth + 1); return;
      case WIRE_END_GROUP: throw decodeError('end of a group that never started');
      default: throw decodeError(`wire type ${wire}`);
    }
  }

  private skipGroup(field: number, depth: number): void {
    if (depth > MAX_GROUP_DEPTH) throw decodeError('groups nested too deep');
    for (;;) {
      if (this.pos >= this.end) throw decodeError('truncated group');
      const f = this.tag();
      const w = this.wire;
      if (w === WIRE_END_GROUP) {
        if (f !== field) throw decodeError('group ends with another field number');
        return;
      }
      this.skip(f, w, depth);
    }
  }
}

function decodePeer(r: Reader): KadPeer {
  const n = r.length();
  const p = new Reader(r.buf, r.pos, r.pos + n);
  r.pos += n;
  const peer: KadPeer = { id: new Uint8Array(0), addrs: [], connection: 0 };
  while (p.pos < p.end) {
    const field = p.tag();
    const wire = p.wire;
    if (field === P_ID && wire === WIRE_BYTES) peer.id = p.bytes();
    else if (field === P_ADDRS && wire === WIRE_BYTES) peer.addrs.push(p.bytes());
    else if (field === P_CONNECTION && wire === WIRE_VARINT) peer.connection = p.int32();
    else p.skip(field, wire, 0);
  }
  return peer;
}

/**
 * Decodes one unframed Message. Byte fields are views into `b`: copy them before reusing the buffer.
 * Unknown fields are skipped; a repeated scalar keeps its last value, as protobuf does.
 */
export function decodeKadMessage(b: Uint8Array): KadMessage {
  if (b.length > MAX_KAD_MESSAGE_BYTES) throw decodeError(`${b.length} bytes exceeds ${MAX_KAD_MESSAGE_BYTES}`);
  const r = new Reader(b, 0, b.length);
  const m = {
    type: 0,
    key: null as Uint8Array | null,
    closerPeers: [] as KadPeer[],
    record: null as Uint8Array | null,
    providerPeers: [] as KadPeer[],
    clusterLevelRaw: 0,
  };
  while (r.pos < r.end) {
    const field = r.tag();
    const wire = r.wire;
    if (wire === WIRE_VARINT && field === F_TYPE) m.type = r.int32();
    else if (wire === WIRE_VARINT && field === F_CLUSTER_LEVEL) m.clusterLevelRaw = r.int32();
    else if (wire === WIRE_BYTES && field === F_KEY) m.key = r.bytes();
    else if (wire === WIRE_BYTES && field === F_RECORD) m.record = r.bytes();
    else if (wire === WIRE_BYTES && field === F_CLOSER_PEERS) m.closerPeers.push(decodePeer(r));
    else if (wire === WIRE_BYTES && field === F_PROVIDER_PEERS) m.providerPeers.push(decodePeer(r));
    else r.skip(field, wire, 0);
  }
  return m;
}

/**
 * Finds the frame that starts at `offset`: null while its length prefix or payload is incomplete, a
 * KadError once the prefix announces more than MAX_KAD_MESSAGE_BYTES. The payload is a view into `buf`.
 */
export function readFrame(buf: Uint8Array, offset = 0): KadFrame | null {
  let len = 0;
  for (let i = 0; i < MAX_FRAME_PREFIX_BYTES; i++) {
    const at = offset + i;
    if (at >= buf.length) return null;
    const b = buf[at]!;
    len += (b & VARINT_PAYLOAD) * 2 ** (7 * i);
    if (len > MAX_KAD_MESSAGE_BYTES) break;
    if ((b & VARINT_CONTINUE) === 0) {
      const start = at + 1;
      if (len > buf.length - start) return null;
      return { payload: buf.subarray(start, start + len), end: start + len };
    }
  }
  throw decodeError(`frame longer than ${MAX_KAD_MESSAGE_BYTES} bytes`);
}
