import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { UdpTransport } from '../../../src/transport/udp.js';
import { recvDelayFn } from '../../../src/transport/rx-stamp.js';

const BLOCK_MS = 100;

describe('transport: arrival times', () => {
  it('a datagram that waited while the event loop was busy carries its kernel arrival time', { skip: recvDelayFn() === null && 'native addon not built' }, async () => {
    // The kernel stamps in CLOCK_REALTIME; a step of that clock (a VM's time sync) inside the 100 ms window turns one
    // reading into an event-loop time. Three tries: a step in each of them would be a broken clock, not a flake.
    const TRIES = 3;
    let last = '';
    for (let attempt = 1; attempt <= TRIES; attempt++) {
      const a = await UdpTransport.bind({ address: '127.0.0.1' });
      const b = await UdpTransport.bind({ address: '127.0.0.1' });
      try {
        assert.equal(b.rxClock, 'kernel');
        let arrivedAt = 0n;
        b.onDatagram((_d, _ip, _port, at) => { arrivedAt = at; });
        // The send happens inside send() (literal lookup), so the datagram is in b's socket before the block.
        a.send(Uint8Array.of(1), '127.0.0.1', b.address.port);
        const sentAt = process.hrtime.bigint();
        const until = Date.now() + BLOCK_MS;
        while (Date.now() < until) { /* keep the loop busy: the datagram waits in the socket */ }
        const blockEnd = process.hrtime.bigint();
        await new Promise((r) => setTimeout(r, 20));
        assert.ok(arrivedAt > 0n, 'received');
        if (arrivedAt < blockEnd && arrivedAt <= sentAt + BigInt(BLOCK_MS / 2) * 1_000_000n && b.stats.kernelStamped === 1) return;
        last = `attempt ${attempt}: arrival ${(arrivedAt - sentAt) / 1000n} µs after the send (block ended ${(blockEnd - sentAt) / 1000n} µs after), kernel stamps ${b.stats.kernelStamped}`;
      } finally {
        await a.close(); await b.close();
      }
    }
    assert.fail(`arrival is not the kernel's, not within the first half of the block, in ${TRIES} tries; ${last}`);
  });

});
