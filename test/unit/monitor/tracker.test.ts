import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Tracker, type ChangeRow, type SessionRow } from '../../../src/monitor/tracker.js';
import { DEFAULT_MONITOR_CONFIG, validateMonitorConfig } from '../../../src/monitor/config.js';

const cfg = validateMonitorConfig({ ...DEFAULT_MONITOR_CONFIG, probeMinMs: 1000, probeMaxMs: 10_000, probeFactorLow: 1, probeFactorHigh: 1, failuresToEnd: 3 });
const id = (b: number) => new Uint8Array(32).fill(b);

function setup() {
  const ended: SessionRow[] = [], changes: ChangeRow[] = [];
  const t = new Tracker(cfg, { sessionEnded: (r) => ended.push(r), changed: (c) => changes.push(c) }, () => 0.5);
  return { t, ended, changes };
}

describe('monitor tracker', () => {
  it('a session opens on an answer and ends after K failures in a row, at the first of them', () => {
    const { t, ended } = setup();
    const n = t.sight({ id: id(1), ip: '10.0.0.1', port: 30303, seq: 1n, listedBy: 3 }, 0)!;
    t.answered(n, 100);
    assert.equal(t.upCount, 1);
    t.answered(n, 5100);
    t.failed(n, 10_000);
    t.answered(n, 11_000); // a lone failure does not end it
    t.failed(n, 20_000); t.failed(n, 21_000);
    assert.equal(ended.length, 0);
    t.failed(n, 22_000);
    assert.equal(ended.length, 1);
    const r = ended[0]!;
    assert.equal(r.startedAtMs, 100);
    assert.equal(r.lastOkMs, 11_000);
    assert.equal(r.firstFailMs, 20_000);
    assert.equal(r.endedAtMs, 22_000);
    assert.equal(r.answers, 3);
    assert.equal(r.failures, 4);
    assert.equal(r.observedStart, false, 'up when first seen: the start is not known');
    assert.ok(Number.isNaN(r.lastFailBeforeMs), 'no failure bounds a start not observed');
    assert.equal(t.upCount, 0);
    // Down: probed and silent, then it comes back. The new session's start was observed, after its last failure.
    t.failed(n, 30_000); t.failed(n, 34_000);
    t.answered(n, 40_000);
    assert.equal(t.upCount, 1);
    const open = [...t.openSessions()];
    assert.equal(open.length, 1);
    assert.equal(open[0]!.startedAtMs, 40_000);
    assert.equal(open[0]!.observedStart, true);
    assert.equal(open[0]!.lastFailBeforeMs, 34_000);
    assert.equal(t.reachableCount, 1);
  });

  it('re-check intervals grow with uptime within [min, max]; failures are confirmed at the minimum', () => {
    const { t } = setup();
    const n = t.sight({ id: id(2), ip: '10.0.0.2', port: 1, seq: 1n, listedBy: 1 }, 0)!;
    assert.equal(n.dueAtMs, 10_000, 'never answered: checked at the maximum');
    t.answered(n, 0);
    assert.equal(n.dueAtMs, 1000, 'just up: the minimum');
    t.answered(n, 4000);
    assert.equal(n.dueAtMs, 8000, '1 x 4 s of uptime');
    t.answered(n, 60_000);
    assert.equal(n.dueAtMs, 70_000, 'capped at the maximum');
    t.failed(n, 70_000);
    assert.equal(n.dueAtMs, 71_000);
  });

  it('a never-answering node stays unreachable and never makes a session', () => {
    const { t, ended } = setup();
    const n = t.sight({ id: id(3), ip: '10.0.0.3', port: 1, seq: 1n, listedBy: 7 }, 0)!;
    for (let i = 1; i <= 10; i++) t.failed(n, i * 10_000);
    assert.equal(ended.length, 0);
    assert.equal(n.everUp, false);
    assert.equal(n.listedBy, 7);
    assert.equal(t.reachableCount, 0);
  });

  it('reports address and seq changes; ignores older records', () => {
    const { t, changes } = setup();
    t.sight({ id: id(4), ip: '10.0.0.4', port: 1, seq: 5n, listedBy: 1 }, 0);
    t.sight({ id: id(4), ip: '10.0.0.4', port: 1, seq: 4n, listedBy: 1 }, 10);
    assert.equal(changes.length, 0);
    t.sight({ id: id(4), ip: '10.0.0.4', port: 1, seq: 6n, listedBy: 1 }, 20);
    t.sight({ id: id(4), ip: '10.0.0.9', port: 2, seq: 7n, listedBy: 1 }, 30);
    assert.deepEqual(changes.map((c) => [c.kind, c.oldSeq, c.newSeq, c.newIp]), [['seq', 5n, 6n, '10.0.0.4'], ['address', 6n, 7n, '10.0.0.9']]);
    assert.equal(t.get(id(4))!.ip, '10.0.0.9');
  });

  it('hands out due nodes in time order, each once per schedule, and respects the bound', () => {
    const ended: SessionRow[] = [];
    const t = new Tracker({ ...cfg, maxTracked: 3 }, { sessionEnded: (r) => ended.push(r), changed: () => {} }, () => 0.5);
    const a = t.sight({ id: id(5), ip: 'a', port: 1, seq: 1n, listedBy: 1 }, 0)!;
    const b = t.sight({ id: id(6), ip: 'b', port: 1, seq: 1n, listedBy: 1 }, 0)!;
    const c = t.sight({ id: id(7), ip: 'c', port: 1, seq: 1n, listedBy: 1 }, 0)!;
    assert.equal(t.sight({ id: id(8), ip: 'd', port: 1, seq: 1n, listedBy: 1 }, 0), null);
    assert.equal(t.untracked, 1);
    t.answered(b, 0); t.answered(a, 500); t.answered(c, 5000); // due 1000, 1500, 6000
    t.answered(b, 200); // rescheduled to 1200: its 1000 entry is stale
    assert.equal(t.nextDue(999), null);
    assert.equal(t.nextDue(2000), b);
    assert.equal(t.nextDue(2000), a);
    assert.equal(t.nextDue(2000), null);
    assert.equal(t.nextDue(6000), c);
  });

  it('closeFromStore ends an open session as the database recorded it', () => {
    const { t, ended } = setup();
    const n = t.sight({ id: id(9), ip: 'x', port: 1, seq: 1n, listedBy: 1 }, 0)!;
    t.answered(n, 0);
    t.closeFromStore(n, 9000, 7000);
    assert.equal(t.upCount, 0);
    assert.equal(ended.length, 0, 'already written: not reported again');
    t.answered(n, 20_000);
    assert.equal([...t.openSessions()][0]!.observedStart, true);
    assert.equal([...t.openSessions()][0]!.lastFailBeforeMs, 9000, 'the stored end is the last failure known');
  });

  it('the failure that ended a session bounds the next start when no probe failed since', () => {
    const { t } = setup();
    const n = t.sight({ id: id(8), ip: 'x', port: 1, seq: 1n, listedBy: 1 }, 0)!;
    t.answered(n, 0);
    t.failed(n, 5000); t.failed(n, 6000); t.failed(n, 7000);
    assert.equal(t.upCount, 0);
    t.answered(n, 9000);
    assert.equal([...t.openSessions()][0]!.lastFailBeforeMs, 7000);
  });
});

describe('monitor tracker: budget order', () => {
  it('nodes that answered once go before never-answering ones, which get only what is left', () => {
    const t = new Tracker(cfg, { sessionEnded: () => {}, changed: () => {} }, () => 0.5);
    const silent = [1, 2, 3].map((b) => t.sight({ id: id(100 + b), ip: 's', port: 1, seq: 1n, listedBy: 1 }, 0)!);
    const live = t.sight({ id: id(110), ip: 'l', port: 1, seq: 1n, listedBy: 1 }, 0)!;
    for (const s of silent) t.failed(s, 0); // due at 10,000 (the maximum: never answered)
    t.answered(live, 0);
    t.retryAt(live, 11_000); // due last
    // At 20,000 every node is due; the answering one comes first although it is due last.
    assert.equal(t.nextDue(20_000), live);
    assert.deepEqual([t.nextDue(20_000), t.nextDue(20_000), t.nextDue(20_000)].map((n) => n!.ip), ['s', 's', 's']);
    assert.equal(t.nextDue(20_000), null);
  });
});

describe('monitor tracker: late reports', () => {
  it('an answer dated before the failures that followed it neither resets them nor reopens a session', () => {
    const { t, ended } = setup();
    const n = t.sight({ id: id(50), ip: 'x', port: 1, seq: 1n, listedBy: 1 }, 0)!;
    t.answered(n, 0);
    t.failed(n, 5000);
    t.answered(n, 4000); // a crawl visit that heard the node at 4 s, reported after the 5 s failure
    assert.equal(n.failRun, 1, 'the run of failures stands');
    t.failed(n, 6000); t.failed(n, 7000);
    assert.equal(ended.length, 1);
    t.answered(n, 4500);
    assert.equal(t.upCount, 0, 'no session reopened by a stale answer');
    t.answered(n, 9000);
    assert.equal(t.upCount, 1);
  });
});
