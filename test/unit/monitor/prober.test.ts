import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Tracker, type TrackedNode } from '../../../src/monitor/tracker.js';
import { Prober, type ProbeClient } from '../../../src/monitor/prober.js';
import { DEFAULT_MONITOR_CONFIG, validateMonitorConfig } from '../../../src/monitor/config.js';
import type { NodeAddress, ProbeSink } from '../../../src/session/types.js';

const cfg = validateMonitorConfig({ ...DEFAULT_MONITOR_CONFIG, probeRatePerSec: 1000, probeMinMs: 1000, probeMaxMs: 1000, probeFactorLow: 1, probeFactorHigh: 1 });
const id = (b: number) => new Uint8Array(32).fill(b);
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A client that holds each probe until the test ends it; `busy` refuses to send. */
class FakeClient implements ProbeClient {
  held: Array<{ remote: NodeAddress; sink: ProbeSink<unknown>; token: unknown }> = [];
  busy = false;
  probeTo<T>(remote: NodeAddress, _timeoutMs: number, sink: ProbeSink<T>, token: T): boolean {
    if (this.busy) return false;
    this.held.push({ remote, sink: sink as ProbeSink<unknown>, token });
    return true;
  }
}

function setup() {
  const t = new Tracker(cfg, { sessionEnded: () => {}, changed: () => {} }, () => 0.5);
  const nodes: TrackedNode[] = [];
  for (let i = 1; i <= 3; i++) {
    const n = t.sight({ id: id(i), ip: '10.0.0.' + i, port: 30303, seq: 1n, listedBy: 1 }, 0)!;
    t.answered(n, Date.now() - 5000); // up, due now
    nodes.push(n);
  }
  const client = new FakeClient();
  const rtts: number[] = [];
  const p = new Prober(t, client, cfg, 1, (ms) => rtts.push(ms));
  return { t, nodes, client, p, rtts };
}

describe('monitor prober', () => {
  it('probes due nodes once each, with the node as its address, and reports answers and failures', async () => {
    const { t, nodes, client, p, rtts } = setup();
    p.start();
    await wait(50);
    assert.equal(client.held.length, 3, 'each due node once, none twice while in flight');
    assert.equal(p.pending, 3);
    const [a, b] = [client.held[0]!.token as TrackedNode, client.held[1]!.token as TrackedNode];
    assert.ok(nodes.includes(a) && client.held[0]!.remote === a, 'the node is its own address and token');
    const sentAt = b.probeSentMs;
    assert.ok(Number.isFinite(sentAt));
    client.held[0]!.sink.probeAnswered(client.held[0]!.token, 2_000_000n);
    client.held[1]!.sink.probeFailed(client.held[1]!.token, 'no-whoareyou');
    // A second report of the same probe changes nothing.
    client.held[1]!.sink.probeFailed(client.held[1]!.token, 'no-whoareyou');
    assert.deepEqual(rtts, [2]);
    assert.deepEqual({ ok: p.counters.ok, failed: p.counters.failed }, { ok: 1, failed: 1 });
    assert.equal(b.firstFailMs, sentAt, 'a failure is dated when its probe went out');
    const stopped = p.stop();
    let done = false;
    void stopped.then(() => { done = true; });
    await wait(10);
    assert.equal(done, false, 'stop waits for the probe in flight');
    client.held[2]!.sink.probeFailed(client.held[2]!.token, 'busy');
    await stopped;
    assert.equal(p.counters.busy, 1);
    assert.equal(t.upCount, 3);
  });

  it('a probe the client refuses is counted busy and retried later, not lost', async () => {
    const { client, p, nodes } = setup();
    client.busy = true;
    p.start();
    await wait(50);
    await p.stop();
    assert.equal(p.counters.busy, 3);
    assert.equal(p.pending, 0);
    for (const n of nodes) assert.ok(Number.isFinite(n.dueAtMs) && !n.probing, 'scheduled again');
  });
});
