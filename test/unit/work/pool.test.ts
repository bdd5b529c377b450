import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { InlineCrypto, PooledCrypto, type CryptoOffload } from '../../../src/work/pool.js';
import { createEnr } from '../../../src/enr/enr.js';
import { secp } from '../../../src/crypto/index.js';
import { recipientKeys, verifyIdNonce } from '../../../src/crypto/discv5.js';
import { loadVectors, rng, randomBytes } from '../../helpers.js';
import { fromHex } from '../../../src/util/bytes.js';

const be = secp();
const E = loadVectors('enr.json');

describe('crypto offload: inline and worker pool give the same answers', () => {
  const pool = new PooledCrypto(2);
  const impls: [string, CryptoOffload][] = [['inline', new InlineCrypto()], ['pool(2)', pool]];
  after(() => pool.close());

  for (const [name, impl] of impls) {
    it(`${name}: verifies records in batches, rejects tampered ones`, async () => {
      const good = [E.eip778_example, ...E.additional_records].map((r: any) => fromHex(r.rlp));
      for (let i = 0; i < 100; i++) good.push(createEnr(be.generatePrivateKey(), 1n, { udp: 30303 + i }).raw);
      const bad = good.slice(0, 20).map((g) => { const b = Uint8Array.from(g); b[b.length - 1]! ^= 1; return b; });
      bad.push(good[0]!.slice(0, 50), new Uint8Array(0), Uint8Array.of(0xc0), new Uint8Array(301).fill(0xf8));
      const res = await Promise.all([...good, ...bad].map((r) => impl.verifyRecord(r)));
      assert.deepEqual(res, [...good.map(() => true), ...bad.map(() => false)]);
    });

    it(`${name}: initiator handshakes the recipient can check`, async () => {
      const r = rng(5);
      const sk = be.generatePrivateKey();
      const localId = randomBytes(r, 32);
      const remotes = Array.from({ length: 80 }, () => be.generatePrivateKey());
      const outs = await Promise.all(remotes.map((rsk) => {
        const challenge = randomBytes(r, 63);
        const rid = randomBytes(r, 32);
        return impl.handshake(sk, localId, rid, be.publicKeyCreate(rsk, true), challenge).then((o) => ({ o, rsk, challenge, rid }));
      }));
      for (const { o, rsk, challenge, rid } of outs) {
        assert.ok(o);
        const k = recipientKeys(rsk, o.ephemeralPubkey, localId, rid, challenge, be);
        assert.deepEqual(k.initiatorKey, o.keys.initiatorKey);
        assert.deepEqual(k.recipientKey, o.keys.recipientKey);
        assert.ok(verifyIdNonce(be.publicKeyCreate(sk, true), o.idSignature, challenge, o.ephemeralPubkey, rid, be));
      }
      assert.equal(await impl.handshake(sk, localId, randomBytes(r, 32), new Uint8Array(33), randomBytes(r, 63)), null, 'invalid remote key');
    });
  }
});
