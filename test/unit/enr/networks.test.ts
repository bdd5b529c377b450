import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createEnr, enrFields, type EnrFields } from '../../../src/enr/index.js';
import {
  currentDigests, forkLabel, forkOf, knownDigests, knownNetworks, lookupForkDigest, networkDigests, networkOf, nextForkOf,
  type NetworkParams,
} from '../../../src/enr/networks.js';
import { computeForkDigest } from '../../../src/enr/fork-digest.js';
import { fromHex, toHex } from '../../../src/util/bytes.js';
import { repoRoot } from '../../helpers.js';

const DATA = JSON.parse(readFileSync(join(repoRoot(), 'data', 'eth2-networks.json'), 'utf8'));
const FILE_DIGESTS = Object.entries(DATA.digests as Record<string, any>);
const strip = (d: string) => d.replace(/^0x/, '');

test('every digest of the file\'s digests map is computed, with its network, fork, label, status and epoch', () => {
  assert.equal(FILE_DIGESTS.length, 56);
  for (const [digest, want] of FILE_DIGESTS) {
    const got = lookupForkDigest(digest);
    assert.ok(got, `${digest} (${want.network}/${want.label}) not computed`);
    assert.equal(got.digest, strip(digest));
    assert.equal(got.network, want.network, digest);
    assert.equal(got.fork, want.fork, digest);
    assert.equal(got.bpo, want.bpo ?? null, digest);
    assert.equal(got.stage, want.label, digest);
    assert.equal(got.label, `${want.network}/${want.label}`, digest);
    assert.equal(got.status, want.status, digest);
    assert.equal(got.epoch, want.epoch, digest);
  }
});

test('the computed table holds no digest the file lacks, and no two computed digests collide', () => {
  const file = new Set(FILE_DIGESTS.map(([d]) => strip(d)));
  const computed = knownDigests();
  assert.deepEqual(computed.map((e) => e.digest).filter((d) => !file.has(d)), []);
  assert.equal(computed.length, file.size);
  const all = (DATA.networks as NetworkParams[]).flatMap((n) => networkDigests(n));
  assert.equal(all.length, computed.length, 'a collision would drop a digest from the table');
});

test('the per-network fork and blobSchedule digests agree with the computation', () => {
  for (const n of DATA.networks) {
    for (const f of n.forks) assert.equal(forkLabel(f.digest), `${n.name}/${f.name}`, `${n.name} ${f.name}`);
    for (const b of n.blobSchedule) assert.match(forkLabel(b.digest) ?? '', new RegExp(`^${n.name}/[a-z]+\\+${b.name}$`), `${n.name} ${b.name}`);
  }
});

test('the unmasked nonWireBaseDigests do not map: no correct node advertises them', () => {
  const base = Object.keys(DATA.nonWireBaseDigests);
  assert.ok(base.length > 0);
  for (const d of base) assert.equal(lookupForkDigest(d), null, d);
});

test('forkLabel: network/fork with the BPO step; hex with or without 0x, any case; null when unknown', () => {
  assert.equal(forkLabel('8c9f62fe'), 'mainnet/fulu+bpo2');
  assert.equal(forkLabel('0xCB0D1ACC'), 'mainnet/fulu+bpo1');
  assert.equal(forkLabel('cc2c5cdb'), 'mainnet/fulu');
  assert.equal(forkLabel('b5303f2a'), 'mainnet/phase0');
  assert.equal(forkLabel('3237dab6'), 'gnosis/fulu');
  assert.equal(forkLabel('669e6c11'), 'sepolia/gloas');
  assert.equal(forkLabel('f9ab5f85'), null, 'Gnosis Fulu without the blob mask, as older tables have it');
  assert.equal(forkLabel('deadbeef'), null);
});

test('knownNetworks: the file\'s networks in file order, covering every digest', () => {
  assert.deepEqual(knownNetworks(), ['mainnet', 'sepolia', 'holesky', 'hoodi', 'gnosis', 'chiado']);
  assert.deepEqual(knownNetworks(), DATA.networks.map((n: any) => n.name));
  const nets = new Set(knownNetworks());
  for (const e of knownDigests()) assert.ok(nets.has(e.network), e.network);
});

test('currentDigests: each network\'s newest confirmed digest', () => {
  assert.deepEqual(currentDigests(), {
    mainnet: '8c9f62fe', sepolia: '74d01459', holesky: '32db3f09', hoodi: 'c6ecb76c', gnosis: '3237dab6', chiado: '25f9148e',
  });
});

test('BPO entries: only those that change the digest get one, under the fork in force at their epoch', () => {
  const gvr = '0x' + '11'.repeat(32);
  const net: NetworkParams = {
    name: 'devnet', genesisValidatorsRoot: gvr, electraBlobParams: { epoch: 0, maxBlobsPerBlock: 6 },
    forks: [
      { name: 'electra', version: '0x05000000', epoch: 0, status: 'confirmed', onWire: true },
      { name: 'fulu', version: '0x06000000', epoch: 10, status: 'confirmed', onWire: true },
      { name: 'gloas', version: '0x07000000', epoch: 30, status: 'unconfirmed', onWire: true },
      { name: 'heze', version: '0x08000000', epoch: null, status: 'unscheduled', onWire: false },
    ],
    blobSchedule: [
      { name: 'bpo0', epoch: 5, maxBlobsPerBlock: 9 }, // before Fulu: no digest of its own
      { name: 'bpo1', epoch: 10, maxBlobsPerBlock: 12 }, // at Fulu's epoch: Fulu's digest already has it
      { name: 'bpo2', epoch: 20, maxBlobsPerBlock: 15 },
      { name: 'bpo3', epoch: 40, maxBlobsPerBlock: 21 }, // after Gloas
    ],
  };
  const ds = networkDigests(net);
  assert.deepEqual(ds.map((d) => [d.label, d.status, d.epoch]), [
    ['devnet/electra', 'confirmed', 0], ['devnet/fulu', 'confirmed', 10], ['devnet/gloas', 'unconfirmed', 30],
    ['devnet/heze', 'projected', null], ['devnet/fulu+bpo2', 'confirmed', 20], ['devnet/gloas+bpo3', 'unconfirmed', 40],
  ]);
  assert.equal(new Set(ds.map((d) => d.digest)).size, ds.length);
  // A fork with no epoch is projected after the last schedule entry.
  const heze = computeForkDigest(fromHex('08000000'), fromHex(gvr), { epoch: 40, maxBlobsPerBlock: 21 });
  assert.equal(ds.find((d) => d.fork === 'heze')!.digest, toHex(heze));
});

const fields = (extra: Partial<EnrFields>): EnrFields => ({ keys: [], unknown: {}, invalid: {}, ...extra });
const eth2 = (forkDigest: string) => ({ forkDigest, nextForkVersion: '06000000', nextForkEpoch: 2n ** 64n - 1n });

test('forkOf and networkOf read the eth2 digest; unknown digests keep their hex in the network', () => {
  assert.equal(forkOf(fields({ eth2: eth2('cb0d1acc') })), 'fulu+bpo1');
  assert.equal(networkOf(fields({ eth2: eth2('cb0d1acc') })), 'mainnet');
  assert.equal(forkOf(fields({ eth2: eth2('0badf00d') })), null);
  assert.equal(networkOf(fields({ eth2: eth2('0badf00d') })), 'eth2:0badf00d');
  assert.equal(forkOf(fields({ c: 'trin' })), null);
});

test('nextForkOf: the nfd digest\'s network/fork; null when absent, all zero or unknown', () => {
  assert.equal(nextForkOf(fields({ eth2: eth2('cb0d1acc'), nfd: '8c9f62fe' })), 'mainnet/fulu+bpo2');
  assert.equal(nextForkOf(fields({ eth2: eth2('74d01459'), nfd: '669e6c11' })), 'sepolia/gloas');
  assert.equal(nextForkOf(fields({ eth2: eth2('8c9f62fe'), nfd: '00000000' })), null);
  assert.equal(nextForkOf(fields({ eth2: eth2('8c9f62fe'), nfd: '12345678' })), null);
  assert.equal(nextForkOf(fields({ eth2: eth2('8c9f62fe') })), null);
});

test('a signed record\'s eth2, nfd and cgc decode into the fork, the next fork and the custody count', () => {
  const sk = new Uint8Array(32).fill(3);
  const eth2Bytes = Uint8Array.of(...fromHex('cb0d1acc'), ...fromHex('06000000'), 0x00, 0x65, 0x06, 0, 0, 0, 0, 0);
  const f = enrFields(createEnr(sk, 1n, { eth2: eth2Bytes, nfd: fromHex('8c9f62fe'), cgc: 8 }));
  assert.equal(f.eth2!.nextForkEpoch, 419072n);
  assert.equal(forkOf(f), 'fulu+bpo1');
  assert.equal(nextForkOf(f), 'mainnet/fulu+bpo2');
  assert.equal(f.cgc, 8);
});
