import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadVectors, rng } from '../../helpers.js';
import { fromHex } from '../../../src/util/bytes.js';
import { decodePacket } from '../../../src/wire/packet.js';
import { decodeMessage } from '../../../src/wire/messages.js';
import { decodeEnr, decodeEnrText, enrFields, verifyEnr } from '../../../src/enr/index.js';
import { EnrError, WireError } from '../../../src/util/errors.js';

// Deterministic by seed; DHTSCOPE_FUZZ_SEED replays a failure.
const SEED = Number(process.env.DHTSCOPE_FUZZ_SEED ?? 0xd15c05);
const PACKET_MUTATIONS = 100_000;
const RECORD_MUTATIONS = 100_000;
const MESSAGE_MUTATIONS = 50_000;
const FUZZ_TIMEOUT_MS = 120_000;

const W = loadVectors('discv5-wire.json');
const E = loadVectors('enr.json');
const bId = fromHex(W.node_keys.derived.node_b_id);
const packets: Uint8Array[] = W.packets.map((p: any) => fromHex(p.packet));
const records: Uint8Array[] = [E.eip778_example, ...E.additional_records].map((r: any) => fromHex(r.rlp));
const plaintexts: Uint8Array[] = W.packets.filter((p: any) => p.derived.message_plaintext).map((p: any) => fromHex(p.derived.message_plaintext));
plaintexts.push(fromHex('04f8' + '00')); // seed a NODES shape too

/** One random mutation: flip, overwrite, insert, delete, truncate or extend. */
function mutate(r: () => number, src: Uint8Array): Uint8Array {
  let b = Uint8Array.from(src);
  const n = 1 + Math.floor(r() * 4);
  for (let k = 0; k < n; k++) {
    const at = Math.floor(r() * Math.max(1, b.length));
    switch (Math.floor(r() * 6)) {
      case 0: if (b.length) b[at] = b[at]! ^ (1 << Math.floor(r() * 8)); break;
      case 1: if (b.length) b[at] = Math.floor(r() * 256); break;
      case 2: b = Uint8Array.from([...b.subarray(0, at), Math.floor(r() * 256), ...b.subarray(at)]); break;
      case 3: b = Uint8Array.from([...b.subarray(0, at), ...b.subarray(at + 1)]); break;
      case 4: b = b.subarray(0, at); break;
      default: b = Uint8Array.from([...b, ...Array.from({ length: Math.floor(r() * 40) }, () => Math.floor(r() * 256))]);
    }
  }
  return b;
}

function expectOnly<T>(cls: new (...a: any[]) => Error, f: () => T): boolean {
  try { f(); return true; } catch (e) {
    if (!(e instanceof cls) || typeof (e as any).code !== 'string') {
      assert.fail(`unexpected ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
    }
    return false;
  }
}

describe('fuzz: decoders throw only typed errors and never hang', () => {
  it(`${PACKET_MUTATIONS} packet mutations`, { timeout: FUZZ_TIMEOUT_MS }, () => {
    const r = rng(SEED);
    let ok = 0;
    for (let i = 0; i < PACKET_MUTATIONS; i++) {
      const m = mutate(r, packets[i % packets.length]!);
      if (expectOnly(WireError, () => {
        const p = decodePacket(m, bId);
        if (p.handshake?.record) expectOnly(EnrError, () => enrFields(decodeEnr(p.handshake!.record!)));
      })) ok++;
    }
    assert.ok(ok > 0, 'some mutations must still decode (masking-iv changes keep structure)');
  });

  it(`${RECORD_MUTATIONS} record mutations`, { timeout: FUZZ_TIMEOUT_MS }, () => {
    const r = rng(SEED + 1);
    let ok = 0;
    for (let i = 0; i < RECORD_MUTATIONS; i++) {
      const m = mutate(r, records[i % records.length]!);
      if (expectOnly(EnrError, () => { const e = decodeEnr(m); enrFields(e); if (i % 64 === 0) { e.nodeId(); verifyEnr(e); } })) ok++;
      if (i % 16 === 0) expectOnly(EnrError, () => decodeEnrText('enr:' + Buffer.from(m).toString('base64url')));
    }
    assert.ok(ok > 0);
  });

  it(`${MESSAGE_MUTATIONS} message mutations`, { timeout: FUZZ_TIMEOUT_MS }, () => {
    const r = rng(SEED + 2);
    for (let i = 0; i < MESSAGE_MUTATIONS; i++) {
      const m = mutate(r, plaintexts[i % plaintexts.length]!);
      expectOnly(WireError, () => decodeMessage(m));
    }
  });
});
