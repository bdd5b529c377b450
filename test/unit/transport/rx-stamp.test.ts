import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { UdpTransport } from '../../../src/transport/udp.js';
import { recvDelayFn } from '../../../src/transport/rx-stamp.js';

const BLOCK_MS = 100;

describe('transport: arrival times', () => {
  it('a datagram that waited while the event loop was busy carries its kernel arrival time', { skip: recvDelayFn() === null && 'native addon not built' }, async () => {
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
      assert.ok(arrivedAt < blockEnd, 'arrival is the kernel\'s, not when JS saw the datagram after the block');
      assert.ok(arrivedAt <= sentAt + BigInt(BLOCK_MS / 2) * 1_000_000n, 'arrival within the first half of the block');
      assert.equal(b.stats.kernelStamped, 1);
    } finally {
      await a.close(); await b.close();
    }
  });

});
