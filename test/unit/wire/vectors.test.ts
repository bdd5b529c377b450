import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { backends, loadVectors } from '../../helpers.js';
import { fromHex, toHex } from '../../../src/util/bytes.js';
import { decodePacket, encodeHeader, encodePacket, messageAd, handshakeAuthdata, whoareyouAuthdata } from '../../../src/wire/packet.js';
import { decodeMessage, encodeMessage, MessageType } from '../../../src/wire/messages.js';
import { Flag } from '../../../src/wire/constants.js';
import { aesGcmDecrypt, aesGcmEncrypt } from '../../../src/crypto/index.js';
import { deriveSessionKeys, recipientKeys, signIdNonce, verifyIdNonce } from '../../../src/crypto/discv5.js';
import { nodeIdFromPublicKey, decodeVerifiedEnr } from '../../../src/enr/enr.js';

const V = loadVectors('discv5-wire.json');
const bKey = fromHex(V.node_keys.node_b_key);
const aId = fromHex(V.node_keys.derived.node_a_id);
const bId = fromHex(V.node_keys.derived.node_b_id);

for (const be of backends()) {
  describe(`discv5 wire vectors [${be.name}]`, () => {
    it('derives node IDs from the node keys', () => {
      const aPub = be.publicKeyCreate(fromHex(V.node_keys.node_a_key), true);
      assert.equal(toHex(aPub), V.node_keys.derived.node_a_pubkey);
      assert.equal(toHex(nodeIdFromPublicKey(aPub, be)), V.node_keys.derived.node_a_id);
      assert.equal(toHex(nodeIdFromPublicKey(be.publicKeyCreate(bKey, true), be)), V.node_keys.derived.node_b_id);
    });

    for (const pv of V.packets) {
      it(`decodes and re-encodes ${pv.name} byte-for-byte`, () => {
        const raw = fromHex(pv.packet);
        const p = decodePacket(raw, bId);
        const d = pv.derived;
        assert.equal(p.flag, d.static_header.flag);
        assert.equal(toHex(p.nonce), d.static_header.nonce);
        assert.equal(toHex(p.maskingIv), d.masking_iv);
        assert.equal(toHex(p.header), d.unmasked_header);
        assert.equal(toHex(p.authdata), d.authdata);

        let message: Uint8Array = new Uint8Array(0);
        if (p.flag === Flag.WhoAreYou) {
          assert.equal(toHex(p.whoareyou!.idNonce), pv.inputs.whoareyou_id_nonce);
          assert.equal(p.whoareyou!.enrSeq, BigInt(pv.inputs.whoareyou_enr_seq));
          // Rebuild from fields.
          const header = encodeHeader(Flag.WhoAreYou, fromHex(pv.inputs.whoareyou_request_nonce), whoareyouAuthdata(p.whoareyou!.idNonce, p.whoareyou!.enrSeq));
          assert.equal(toHex(header), d.unmasked_header);
          assert.equal(toHex(encodePacket(bId, p.maskingIv, header, message)), pv.packet);
          return;
        }
        assert.equal(toHex(p.srcId!), pv.inputs.src_node_id);
        const readKey = fromHex(pv.inputs.read_key);
        const ad = messageAd(p.maskingIv, p.header);
        assert.equal(toHex(ad), d.message_ad);
        let header: Uint8Array;
        if (p.flag === Flag.Handshake) {
          const hs = p.handshake!;
          const f = d.authdata_fields;
          assert.equal(toHex(hs.idSignature), f.id_signature);
          assert.equal(toHex(hs.ephPubkey), f.eph_pubkey);
          assert.equal(hs.record ? toHex(hs.record) : null, f.record || null);
          // Recipient (B) derives the keys from its static key and A's ephemeral key.
          const challenge = fromHex(pv.inputs.whoareyou_challenge_data);
          const keys = recipientKeys(bKey, hs.ephPubkey, aId, bId, challenge, be);
          assert.equal(toHex(keys.initiatorKey), pv.inputs.read_key);
          assert.equal(toHex(keys.recipientKey), d.session_keys.recipient_key);
          // Initiator side from the ephemeral secret.
          const secret = be.ecdh(be.publicKeyCreate(bKey, true), fromHex(pv.inputs.ephemeral_key));
          assert.equal(toHex(secret), d.ecdh_shared_secret);
          assert.deepEqual(deriveSessionKeys(secret, aId, bId, challenge), keys);
          // The id-signature verifies against A's key from its record or the known key.
          const aPub = fromHex(V.node_keys.derived.node_a_pubkey);
          assert.ok(verifyIdNonce(aPub, hs.idSignature, challenge, hs.ephPubkey, bId, be));
          assert.ok(!verifyIdNonce(aPub, hs.idSignature, challenge, hs.ephPubkey, aId, be));
          if (hs.record) assert.equal(toHex(decodeVerifiedEnr(hs.record, be).nodeId(be)), pv.inputs.src_node_id);
          header = encodeHeader(Flag.Handshake, p.nonce, handshakeAuthdata(aId, hs.idSignature, hs.ephPubkey, hs.record));
        } else {
          header = encodeHeader(Flag.Message, p.nonce, aId);
        }
        const pt = aesGcmDecrypt(readKey, p.nonce, p.message, ad);
        assert.equal(toHex(pt), d.message_plaintext);
        const msg = decodeMessage(pt);
        assert.equal(msg.type, MessageType.Ping);
        assert.equal(toHex(msg.reqId), pv.inputs.ping_req_id);
        assert.equal(msg.type === MessageType.Ping && msg.enrSeq, BigInt(pv.inputs.ping_enr_seq));
        // Re-encode: message, encryption, header, masking.
        const pt2 = encodeMessage(msg);
        assert.equal(toHex(pt2), d.message_plaintext);
        message = aesGcmEncrypt(readKey, p.nonce, pt2, messageAd(p.maskingIv, header));
        assert.equal(toHex(encodePacket(bId, p.maskingIv, header, message)), pv.packet);
      });
    }

    it('ecdh primitive', () => {
      const c = V.crypto.ecdh;
      assert.equal(toHex(be.ecdh(fromHex(c.public_key), fromHex(c.secret_key))), c.shared_secret);
    });

    it('key derivation primitive', () => {
      const c = V.crypto.key_derivation;
      const secret = be.ecdh(fromHex(c.dest_pubkey), fromHex(c.ephemeral_key));
      assert.equal(toHex(secret), c.derived.shared_secret);
      const k = deriveSessionKeys(secret, fromHex(c.node_id_a), fromHex(c.node_id_b), fromHex(c.challenge_data));
      assert.equal(toHex(k.initiatorKey), c.initiator_key);
      assert.equal(toHex(k.recipientKey), c.recipient_key);
    });

    it('id-nonce signing primitive', () => {
      const c = V.crypto.id_nonce_signing;
      const sig = signIdNonce(fromHex(c.static_key), fromHex(c.challenge_data), fromHex(c.ephemeral_pubkey), fromHex(c.node_id_b), be);
      assert.equal(toHex(sig), c.id_signature);
      const pub = be.publicKeyCreate(fromHex(c.static_key), true);
      assert.equal(toHex(pub), c.derived.static_pubkey);
      assert.ok(verifyIdNonce(pub, sig, fromHex(c.challenge_data), fromHex(c.ephemeral_pubkey), fromHex(c.node_id_b), be));
      const bad = Uint8Array.from(sig); bad[10]! ^= 1;
      assert.ok(!verifyIdNonce(pub, bad, fromHex(c.challenge_data), fromHex(c.ephemeral_pubkey), fromHex(c.node_id_b), be));
    });

    it('aes-gcm primitive', () => {
      const c = V.crypto.aes_gcm;
      const ct = aesGcmEncrypt(fromHex(c.encryption_key), fromHex(c.nonce), fromHex(c.pt), fromHex(c.ad));
      assert.equal(toHex(ct), c.message_ciphertext);
      assert.equal(toHex(aesGcmDecrypt(fromHex(c.encryption_key), fromHex(c.nonce), ct, fromHex(c.ad))), c.pt);
    });
  });
}
