import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loopbackNode } from './loopback-nodes.js';
import { MessageType } from '../../../src/wire/messages.js';

const node = () => loopbackNode();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('session layer: admission of a request (RequestEvents.admit)', () => {
  it('sends the first contact at once and holds the handshake until released, past the request timeout', async () => {
    const a = await node(), b = await node();
    let release = null as (() => void) | null;
    const p = a.session.findNode(b.address, [0], { admit: (r) => { release = r; } }, 200);
    await sleep(100);
    assert.ok(release, 'WHOAREYOU arrived: the request asked for admission');
    assert.equal(a.session.counters.handshakesOut, 0, 'no handshake before admission');
    assert.equal(b.session.counters.whoareyouSent, 1);
    // Held for longer than the request timeout: the wait is the owner's, the request does not fail.
    await sleep(400);
    assert.equal(a.session.counters.handshakesOut, 0);
    release!();
    const r = await p;
    assert.ok(r.ok, `request failed: ${!r.ok && r.reason}`);
    assert.equal(r.response.type, MessageType.Nodes);
    assert.ok(r.stats.rtt1Ns !== null && Number(r.stats.rtt1Ns) < 100e6, 'rtt1 is the contact round trip, not the wait');
    assert.ok(r.stats.rtt2Ns !== null && Number(r.stats.rtt2Ns) < 100e6, 'rtt2 starts at the handshake, after the wait');
    assert.equal(r.stats.packetsOut, 2, 'random packet, then the handshake carrying FINDNODE');
  });

  it('on an existing session, asks for admission before sending anything', async () => {
    const a = await node(), b = await node();
    assert.ok((await a.session.ping(b.address)).ok);
    const before = b.session.counters.requestsIn;
    let release = null as (() => void) | null;
    const p = a.session.findNode(b.address, [0], { admit: (r) => { release = r; } });
    assert.ok(release, 'asked at once: nothing to wait for');
    await sleep(50);
    assert.equal(b.session.counters.requestsIn, before, 'nothing sent before admission');
    release!();
    const r = await p;
    assert.ok(r.ok && !r.stats.handshake);
    assert.equal(r.stats.rtt1Ns, null);
  });

  it('a dead node never asks for admission and fails with no-whoareyou', async () => {
    const a = await node(), b = await node();
    let asked = false;
    const r = await a.session.findNode({ ...b.address, port: 9 }, [0], { admit: () => { asked = true; } }, 100);
    assert.ok(!r.ok && r.reason === 'no-whoareyou');
    assert.equal(asked, false);
  });

  it('a parked request fails with closed when the layer closes', async () => {
    const a = await node(), b = await node();
    let asked = false;
    const p = a.session.findNode(b.address, [0], { admit: () => { asked = true; } });
    await sleep(100);
    assert.ok(asked);
    a.session.close();
    const r = await p;
    assert.ok(!r.ok && r.reason === 'closed');
  });
});
