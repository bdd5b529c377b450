import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeCheckpoint, encodeCheckpoint, readCheckpoint, writeCheckpoint, type CheckpointState } from '../../../src/monitor/checkpoint.js';
import { newTrackedNode } from '../../../src/monitor/tracker.js';
import { ByteArena } from '../../../src/util/arena.js';
import { Encoder } from 'cbor-x';

function state(): CheckpointState {
  const arena = new ByteArena();
  const a = newTrackedNode(arena, new Uint8Array(32).fill(1), '10.1.2.3', 30303, 7n, 1000);
  a.everUp = true; a.up = true; a.sessionStartMs = 1500; a.lastOkMs = 9000; a.answers = 4; a.failRun = 1; a.failures = 2; a.firstFailMs = 9500; a.sessionLastFailMs = 1200; a.lastFailMs = NaN;
  a.listedBy = 12; a.dueAtMs = 12_000; a.observedStart = true;
  const b = newTrackedNode(arena, new Uint8Array(32).fill(2), '::1', 9000, 2n ** 40n, 2000);
  b.isNew = true; b.downSinceMs = 3000; b.probing = true; b.dueAtMs = Infinity;
  return { campaignId: 3, campaignStartedAtMs: 1000, snapshot: 4, savedAtMs: 20_000, clean: false, crawlsDone: 5, nextCrawlAtMs: 30_000, newAfterMs: 1200, seeds: ['enr:-abc'], nodes: [a, b], protocol: 'discv5', nodeTags: ['', ''] };
}

describe('monitor checkpoint (cbor-x)', () => {
  it('round-trips every field of the state', () => {
    const s = state();
    const d = decodeCheckpoint(encodeCheckpoint(s), 'mem');
    assert.equal(d.campaignId, 3); assert.equal(d.crawlsDone, 5); assert.equal(d.nextCrawlAtMs, 30_000); assert.deepEqual(d.seeds, ['enr:-abc']);
    assert.equal(d.newAfterMs, 1200);
    const [a, b] = d.nodes;
    assert.deepEqual(a!.id, new Uint8Array(32).fill(1));
    assert.equal(a!.seq, 7n); assert.equal(a!.ip, '10.1.2.3'); assert.equal(a!.up, true); assert.equal(a!.everUp, true); assert.equal(a!.observedStart, true);
    assert.equal(a!.sessionStartMs, 1500); assert.equal(a!.lastOkMs, 9000); assert.equal(a!.firstFailMs, 9500);
    assert.equal(a!.sessionLastFailMs, 1200); assert.ok(Number.isNaN(a!.lastFailMs));
    assert.equal(a!.answers, 4); assert.equal(a!.failures, 2); assert.equal(a!.failRun, 1); assert.equal(a!.listedBy, 12); assert.equal(a!.dueAtMs, 12_000);
    assert.ok(Number.isNaN(a!.downSinceMs));
    assert.equal(b!.seq, 2n ** 40n); assert.equal(b!.isNew, true); assert.equal(b!.up, false); assert.equal(b!.downSinceMs, 3000);
    assert.equal(b!.dueAtMs, 0, 'a probe in flight is due again at once');
    assert.equal(d.protocol, 'discv5');
    assert.deepEqual(d.nodeTags, ['', '']);
  });

  it('reads a checkpoint written before the failure times were kept: they are unknown (NaN)', () => {
    const codec = new Encoder({ useRecords: false, mapsAsObjects: true });
    const o = codec.decode(encodeCheckpoint(state())) as { nodes: { fails?: Float64Array } };
    delete o.nodes.fails;
    const [a] = decodeCheckpoint(codec.encode(o), 'old').nodes;
    assert.equal(a!.sessionStartMs, 1500);
    assert.ok(Number.isNaN(a!.sessionLastFailMs) && Number.isNaN(a!.lastFailMs));
  });

  it('keeps a libp2p campaign\'s protocol and each node\'s peer ID', () => {
    const s = { ...state(), protocol: 'libp2p' as const, nodeTags: ['12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo', ''] };
    const d = decodeCheckpoint(encodeCheckpoint(s), 'mem');
    assert.equal(d.protocol, 'libp2p');
    assert.deepEqual(d.nodeTags, s.nodeTags);
  });

  it("does not keep a large checkpoint's buffer for the next one (cbor-x reuses its output buffer)", () => {
    const big = { ...state(), seeds: Array.from({ length: 2000 }, (_, i) => `enr:-${'x'.repeat(500)}${i}`) };
    const first = encodeCheckpoint(big);
    assert.ok(first.length > 1_000_000);
    const next = encodeCheckpoint(state());
    assert.ok(next.buffer.byteLength < 100_000, `the next checkpoint is written into a ${next.buffer.byteLength}-byte buffer`);
    assert.equal(decodeCheckpoint(first, 'mem').seeds.length, 2000, 'the first checkpoint stays whole');
  });

  it('is written atomically and read back; a damaged or foreign file is refused with a code', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dhtscope-ckpt-'));
    const p = join(dir, 'm.checkpoint');
    assert.equal(readCheckpoint(p), null);
    writeCheckpoint(p, encodeCheckpoint(state()));
    assert.equal(readCheckpoint(p)!.nodes.length, 2);
    writeFileSync(p, Uint8Array.of(0xff, 0x00, 0x13));
    assert.throws(() => readCheckpoint(p), (e: Error & { code?: string }) => e.code === 'ERR_CHECKPOINT_CORRUPT' || e.code === 'ERR_CHECKPOINT_VERSION');
    writeFileSync(p, encodeCheckpoint(state()).slice(0, 10));
    assert.throws(() => readCheckpoint(p), /checkpoint/);
  });
});

describe('monitor checkpoint: write failures', () => {
  it('a checkpoint that cannot be written fails with a code and leaves the previous one whole', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dhtscope-ckpt-'));
    const p = join(dir, 'm.checkpoint');
    writeCheckpoint(p, encodeCheckpoint(state()));
    // Its temporary file's place is taken by a directory: the write fails.
    mkdirSync(p + '.tmp');
    assert.throws(() => writeCheckpoint(p, encodeCheckpoint({ ...state(), campaignId: 9 })), (e: Error & { code?: string }) => e.code === 'ERR_CHECKPOINT_WRITE' && !e.message.includes('\n'));
    assert.equal(readCheckpoint(p)!.campaignId, 3);
  });
});
