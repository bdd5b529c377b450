import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { backends, loadVectors } from '../../helpers.js';
import { fromHex, toHex } from '../../../src/util/bytes.js';
import { createEnr, decodeEnr, decodeEnrText, decodeVerifiedEnr, enrFields, verifyEnr, verifyEnrRaw, MAX_ENR_SIZE } from '../../../src/enr/index.js';
import { EnrError } from '../../../src/util/errors.js';
import { rlpEncode } from '../../../src/wire/rlp.js';

const V = loadVectors('enr.json');
const te = new TextEncoder();
const records = [{ name: 'eip778_example', ...V.eip778_example }, ...V.additional_records];

function checkPairs(rec: any, f: ReturnType<typeof enrFields>): void {
  for (const p of rec.pairs) {
    const d = p.decoded;
    switch (p.key) {
      case 'ip': assert.equal(f.ip, d); break;
      case 'ip6': assert.equal(f.ip6, d); break;
      case 'udp': assert.equal(f.udp, d); break;
      case 'tcp': assert.equal(f.tcp, d); break;
      case 'udp6': assert.equal(f.udp6, d); break;
      case 'eth2':
        assert.equal(f.eth2!.forkDigest, d.fork_digest);
        assert.equal(f.eth2!.nextForkVersion, d.next_fork_version);
        // JSON.parse rounds 2^64-1 (no fork planned) up to 2^64; the record holds the exact value.
        assert.equal(f.eth2!.nextForkEpoch, d.next_fork_epoch === 2 ** 64 ? 2n ** 64n - 1n : BigInt(d.next_fork_epoch));
        break;
      case 'attnets': assert.deepEqual(f.attnets, d.set_bits); break;
      case 'client': assert.deepEqual(f.client, d); break;
      case 'id': case 'secp256k1': break;
      default: assert.fail(`vector key ${p.key} not covered`);
    }
  }
}

for (const be of backends()) {
  describe(`ENR vectors [${be.name}]`, () => {
    for (const rec of records) {
      it(`decodes and verifies ${rec.name}`, () => {
        const e = decodeEnrText(rec.text);
        assert.equal(toHex(e.raw), rec.rlp);
        assert.equal(e.raw.length, rec.size_bytes);
        assert.equal(e.seq, BigInt(rec.seq));
        assert.equal(toHex(e.signature), rec.signature);
        assert.equal(toHex(e.content()), rec.derived.content_rlp);
        assert.equal(toHex(e.nodeId(be)), rec.derived.node_id);
        assert.ok(verifyEnr(e, be));
        assert.equal(e.toText(), rec.text);
        const f = enrFields(e);
        assert.deepEqual(f.keys, rec.pairs.map((p: any) => p.key));
        assert.deepEqual(f.invalid, {});
        checkPairs(rec, f);
      });
    }

    it('signs a record that reproduces the EIP-778 example exactly (RFC 6979)', () => {
      const ex = V.eip778_example;
      const e = createEnr(fromHex(ex.private_key), 1n, { ip: fromHex('7f000001'), udp: 30303 }, be);
      assert.equal(e.toText(), ex.text);
    });

    it('verifyEnrRaw agrees with decode + verifyEnr on the vectors, fresh records and every one-byte change', () => {
      const raws = records.map((r) => fromHex(r.rlp));
      for (let i = 0; i < 20; i++) raws.push(createEnr(be.generatePrivateKey(), BigInt(i), { ip: Uint8Array.of(10, 0, 0, i), udp: 9000 + i }, be).raw);
      for (const raw of raws) assert.equal(verifyEnrRaw(raw, be), true);
      const ex = fromHex(V.eip778_example.rlp);
      // Each byte flipped in turn: the signature, the content or an RLP header breaks, and both paths say no.
      for (let i = 0; i < ex.length; i++) {
        const t = Uint8Array.from(ex);
        t[i]! ^= 0x10;
        let full = false;
        try { full = verifyEnr(decodeEnr(t), be); } catch { full = false; }
        assert.equal(verifyEnrRaw(t, be), full, `byte ${i}`);
      }
      assert.equal(verifyEnrRaw(ex.subarray(0, 40), be), false);
      assert.equal(verifyEnrRaw(new Uint8Array(0), be), false);
    });

    it('rejects a tampered signature', () => {
      const raw = Uint8Array.from(fromHex(V.eip778_example.rlp));
      raw[raw.length - 1]! ^= 1; // change udp port: content no longer matches the signature
      const e = decodeEnr(raw);
      assert.equal(verifyEnr(e, be), false);
      assert.throws(() => decodeVerifiedEnr(raw, be), (err: unknown) => err instanceof EnrError && err.code === 'ERR_ENR_BAD_SIGNATURE');
    });
  });
}

describe('ENR rules', () => {
  const sk = fromHex(V.eip778_example.private_key);
  const code = (c: string) => (err: unknown) => err instanceof EnrError && err.code === c;

  it('enforces the 300-byte limit on encode and decode', () => {
    assert.throws(() => createEnr(sk, 1n, { big: new Uint8Array(250) }), code('ERR_ENR_TOO_LARGE'));
    assert.throws(() => decodeEnr(new Uint8Array(MAX_ENR_SIZE + 1)), code('ERR_ENR_TOO_LARGE'));
  });

  it('rejects unsorted and duplicate keys', () => {
    const good = decodeEnrText(V.eip778_example.text);
    const items = [good.signature, Uint8Array.of(1)] as Uint8Array[];
    const kv = [...good.pairs.entries()];
    const enc = (pairs: [string, any][]) => rlpEncode([...items, ...pairs.flatMap(([k, v]) => [new TextEncoder().encode(k), v])]);
    assert.throws(() => decodeEnr(enc([kv[1]!, kv[0]!, ...kv.slice(2)])), code('ERR_ENR_UNSORTED_KEYS'));
    assert.throws(() => decodeEnr(enc([kv[0]!, kv[0]!, ...kv.slice(1)])), code('ERR_ENR_DUPLICATE_KEY'));
  });

  it('rejects a non-v4 scheme and a bad text form', () => {
    assert.throws(() => decodeEnrText('enode://abc'), code('ERR_ENR_BAD_TEXT'));
    assert.throws(() => decodeEnrText('enr:***'), code('ERR_ENR_BAD_TEXT'));
    const e = createEnr(sk, 5n, { id: 'v4' });
    assert.equal(e.seq, 5n);
  });

  it('keeps unknown keys raw and decodes every typed key', () => {
    const e = createEnr(sk, 7n, {
      ip: fromHex('0a000001'), udp: 9000, tcp: 9001, quic: 9002, ip6: fromHex('20010db8000000000000000000000001'), udp6: 9003, tcp6: 9004, quic6: 9005,
      eth2: fromHex('6a95a1a9050000000000000000000000'), attnets: fromHex('0300000000000080'), syncnets: fromHex('0a'),
    });
    const e2 = createEnr(sk, 8n, {
      eth: [[fromHex('fc64ec04'), fromHex('118c30')]],
      cgc: 8, nfd: fromHex('01020304'), opstack: Uint8Array.of(0x0a, 0x00), client: [te.encode('Lighthouse'), te.encode('v7.0.0')], c: 't 0.1.0',
      zzz: fromHex('beef'),
    });
    const f = { ...enrFields(decodeEnr(e.raw)), ...enrFields(decodeEnr(e2.raw)) };
    assert.equal(f.ip, '10.0.0.1'); assert.equal(f.udp, 9000); assert.equal(f.tcp, 9001); assert.equal(f.quic, 9002);
    assert.equal(f.ip6, '2001:db8::1'); assert.equal(f.udp6, 9003); assert.equal(f.tcp6, 9004); assert.equal(f.quic6, 9005);
    assert.deepEqual(f.eth, [{ forkHash: 'fc64ec04', forkNext: 0x118c30n }]);
    assert.deepEqual(f.eth2, { forkDigest: '6a95a1a9', nextForkVersion: '05000000', nextForkEpoch: 0n });
    assert.deepEqual(f.attnets, [0, 1, 63]); assert.deepEqual(f.syncnets, [1, 3]);
    assert.equal(f.cgc, 8); assert.equal(f.nfd, '01020304');
    assert.deepEqual(f.opstack, { chainId: 10n, version: 0n });
    assert.deepEqual(f.client, ['Lighthouse', 'v7.0.0']); assert.equal(f.c, 't 0.1.0');
    assert.deepEqual(f.unknown, { zzz: '82beef' });
    assert.deepEqual(f.invalid, {});
  });

  it('reports malformed known keys as invalid instead of failing the record', () => {
    const e = createEnr(sk, 1n, { ip: fromHex('0102'), eth2: fromHex('00') });
    const f = enrFields(e);
    assert.equal(f.ip, undefined);
    assert.deepEqual(Object.keys(f.invalid).sort(), ['eth2', 'ip']);
  });
});
