// npm run bench:crypto — µs/op per primitive on both secp256k1 backends, plus whole handshake steps.
import { allSecpBackends, keccak256, sha256, hkdfSha256, aesGcmEncrypt, aes128Ctr, type Secp256k1Backend } from '../src/crypto/index.js';
import {
  aes128CtrNode, aesBackend, aesGcmDecrypt, aesGcmDecryptNode, aesGcmEncryptNode, hkdfSha256Node, keccak256Native,
  keccak256Noble, sha256Node, shaBackend,
} from '../src/crypto/hash.js';
import { deriveSessionKeys, initiatorHandshake, recipientKeys, signIdNonce, verifyIdNonce } from '../src/crypto/discv5.js';
import { createEnr, decodeEnr, verifyEnr, verifyEnrRaw } from '../src/enr/index.js';
import { benchArgs, machine, usPerOp } from './util.js';

benchArgs('crypto.bench.js', 'µs per operation for each secp256k1 backend (libsecp256k1, noble), the discv5 handshake steps,\n' +
  'ENR checks and the symmetric primitives (Rust addon vs node:crypto), single thread. The last line is JSON.', {});

const { libsecp, noble } = allSecpBackends();
const rows: Record<string, Record<string, number>> = {};
const rand = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(Math.random() * 256));

function secpRows(be: Secp256k1Backend): Record<string, number> {
  const sk = be.generatePrivateKey();
  const pk = be.publicKeyCreate(sk, true);
  const other = be.publicKeyCreate(be.generatePrivateKey(), true);
  const h = rand(32);
  const sig = be.sign(h, sk);
  const challenge = rand(63), idA = rand(32), idB = rand(32);
  const enr = createEnr(sk, 1n, { ip: Uint8Array.of(127, 0, 0, 1), udp: 30303 }, be);
  const raw = enr.raw;
  const ms = be.name === 'noble' ? 600 : 300;
  const eph = be.publicKeyCreate(be.generatePrivateKey(), true);
  const idSig = signIdNonce(sk, challenge, eph, idB, be);
  return {
    keygen: usPerOp(() => be.publicKeyCreate(be.generatePrivateKey(), true), ms, 5),
    ecdh: usPerOp(() => be.ecdh(other, sk), ms, 5),
    sign: usPerOp(() => be.sign(h, sk), ms, 5),
    verify: usPerOp(() => be.verify(sig, h, pk), ms, 5),
    decompress: usPerOp(() => be.publicKeyConvert(pk, false), ms, 5),
    'initiator handshake': usPerOp(() => initiatorHandshake(sk, idA, idB, other, challenge, be), ms, 5),
    'responder handshake': usPerOp(() => { recipientKeys(sk, eph, idA, idB, challenge, be); verifyIdNonce(pk, idSig, challenge, eph, idB, be); }, ms, 5),
    'ENR verify': usPerOp(() => verifyEnr(decodeEnr(raw), be), ms, 5),
    'ENR decode+nodeId': usPerOp(() => decodeEnr(raw).nodeId(be), ms, 5),
    // What a pool worker runs per record since the sixth session: the signature only, from RLP headers.
    'ENR verify (signature only)': usPerOp(() => verifyEnrRaw(raw, be), ms, 5),
  };
}

if (libsecp) rows.libsecp256k1 = secpRows(libsecp);
rows.noble = secpRows(noble);
const d150 = rand(150), k16 = rand(16), n12 = rand(12), m100 = rand(100), ad = rand(71);
const sealed100 = aesGcmEncryptNode(k16, n12, m100, ad);
// discv5 key agreement sizes: 33-byte ECDH secret, 63-byte challenge-data salt, 90-byte info.
const ikm33 = rand(33), salt63 = rand(63), info90 = rand(90);
const nativeAes = aesBackend() === 'native', nativeSha = shaBackend() === 'native';
// "selected" rows time what the code uses; the node/native rows time each side.
// With the native backend selected, the hash.ts functions are the native path.
const shared: Record<string, number> = {
  'keccak256 native (150 B)': usPerOp(() => keccak256Native(d150)),
  'keccak256 noble (150 B)': usPerOp(() => keccak256Noble(d150)),
  'keccak256 selected': usPerOp(() => keccak256(d150)),
  'sha256 (150 B)': usPerOp(() => sha256(d150)),
  'sha256 node (150 B)': usPerOp(() => sha256Node(d150)),
  ...(nativeSha ? { 'sha256 native (150 B)': usPerOp(() => sha256(d150)) } : {}),
  'hkdf-sha256 (32 B out)': usPerOp(() => deriveSessionKeys(rand(33), d150.subarray(0, 32), d150.subarray(32, 64), ad)),
  'hkdf-sha256 node (32 B out)': usPerOp(() => hkdfSha256Node(ikm33, salt63, info90, 32)),
  ...(nativeSha ? { 'hkdf-sha256 native (32 B out)': usPerOp(() => hkdfSha256(ikm33, salt63, info90, 32)) } : {}),
  'aes-128-gcm seal (100 B)': usPerOp(() => aesGcmEncrypt(k16, n12, m100, ad)),
  'aes-128-gcm seal node (100 B)': usPerOp(() => aesGcmEncryptNode(k16, n12, m100, ad)),
  ...(nativeAes ? { 'aes-128-gcm seal native (100 B)': usPerOp(() => aesGcmEncrypt(k16, n12, m100, ad)) } : {}),
  'aes-128-gcm open node (100 B)': usPerOp(() => aesGcmDecryptNode(k16, n12, sealed100, ad)),
  ...(nativeAes ? { 'aes-128-gcm open native (100 B)': usPerOp(() => aesGcmDecrypt(k16, n12, sealed100, ad)) } : {}),
  'aes-128-ctr (39 B)': usPerOp(() => aes128Ctr(k16, k16, d150.subarray(0, 39))),
  'aes-128-ctr node (39 B)': usPerOp(() => aes128CtrNode(k16, k16, d150.subarray(0, 39))),
  ...(nativeAes ? { 'aes-128-ctr native (39 B)': usPerOp(() => aes128Ctr(k16, k16, d150.subarray(0, 39))) } : {}),
};

console.log(`crypto microbenchmarks on ${machine()}\n`);
const names = Object.keys(rows.noble!);
const backendsOrder = Object.keys(rows);
console.log(['operation'.padEnd(24), ...backendsOrder.map((b) => b.padStart(14))].join(''), 'speed-up');
for (const n of names) {
  const vals = backendsOrder.map((b) => rows[b]![n]!);
  const ratio = libsecp ? (rows.noble![n]! / rows.libsecp256k1![n]!).toFixed(1) + 'x' : '-';
  console.log([n.padEnd(24), ...vals.map((v) => `${v.toFixed(1)} us`.padStart(14))].join(''), ratio);
}
console.log('');
console.log(`symmetric crypto backends: aes ${aesBackend()}, sha256/hkdf ${shaBackend()}`);
for (const [n, v] of Object.entries(shared)) console.log(`${n.padEnd(34)} ${v.toFixed(2)} us`);
console.log(JSON.stringify({ machine: machine(), usPerOp: rows, shared, backends: { aes: aesBackend(), sha: shaBackend() } }));
