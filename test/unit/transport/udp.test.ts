import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { UdpTransport } from '../../../src/transport/udp.js';

describe('UDP transport', () => {
  it('reports granted buffer sizes, hands over datagrams with arrival times, and counts per remote', async () => {
    const a = await UdpTransport.bind({ address: '127.0.0.1', trackRemotes: true });
    const b = await UdpTransport.bind({ address: '127.0.0.1' });
    try {
      assert.ok(a.stats.recvBufferBytes > 0 && a.stats.sendBufferBytes > 0);
      const got: [number, string, number, bigint][] = [];
      const done = new Promise<void>((r) => a.onDatagram((d, ip, port, at) => { got.push([d.length, ip, port, at]); if (got.length === 3) r(); }));
      const t0 = process.hrtime.bigint();
      for (const n of [10, 20, 30]) b.send(new Uint8Array(n), '127.0.0.1', a.address.port);
      await done;
      assert.deepEqual(got.map((g) => g[0]), [10, 20, 30]);
      assert.ok(got.every((g) => g[1] === '127.0.0.1' && g[2] === b.address.port && g[3] >= t0));
      assert.equal(a.stats.packetsIn, 3);
      assert.equal(a.stats.bytesIn, 60);
      assert.deepEqual(a.remoteCounters('127.0.0.1', b.address.port), { packetsIn: 3, packetsOut: 0, bytesIn: 60, bytesOut: 0 });
      assert.equal(b.stats.packetsOut, 3);
    } finally {
      await a.close(); await b.close();
    }
  });

  it('fails to bind a taken port with a typed error', async () => {
    const a = await UdpTransport.bind({ address: '127.0.0.1' });
    try {
      await assert.rejects(UdpTransport.bind({ address: '127.0.0.1', port: a.address.port }), (e: any) => e.code === 'ERR_TRANSPORT_ADDR_IN_USE');
    } finally { await a.close(); }
  });
});
