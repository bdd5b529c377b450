import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Libp2pCrawlJobError, LIBP2P_STRATEGY, runLibp2pCrawlJob } from '../../../src/app/libp2p-crawl-job.js';
import { Store } from '../../../src/store/index.js';

const tmp = mkdtempSync(join(tmpdir(), 'dhtscope-l2p-job-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

const PEER = 'QmaCpDMGvV2BGHeYERUEnRQAwe3N8SzbUtfsmvsqQLuvuJ';

test('a bootnode that refuses: one failed visit stored as unreachable, the crawl ended, and a one-line error with the summary', { timeout: 60_000 }, async () => {
  const db = join(tmp, 'refused.duckdb');
  // Port 1 on loopback: nothing listens there, so the dial is refused at once.
  const boot = `/ip4/127.0.0.1/tcp/1/p2p/${PEER}`;
  const e = await runLibp2pCrawlJob({ bootnodes: [boot], dbPath: db, config: { concurrency: 4, listenIp: '127.0.0.1' }, vantage: 'test', version: '0' })
    .then(() => assert.fail('expected an error'), (x: unknown) => x);
  assert.ok(e instanceof Libp2pCrawlJobError);
  assert.equal(e.code, 'ERR_CRAWL_NO_REACHABLE_BOOTNODE');
  assert.doesNotMatch(e.message, /\n/);
  assert.equal(e.summary?.unreachable, 1);
  assert.deepEqual(e.summary?.dialErrors, { refused: 1 });
  const s = await Store.open(db);
  try {
    const [c] = await s.query<{ protocol: string; strategy: string; ended: boolean }>('SELECT protocol, strategy, ended_at IS NOT NULL AS ended FROM crawls');
    assert.deepEqual({ ...c }, { protocol: 'libp2p', strategy: LIBP2P_STRATEGY, ended: true });
    const [v] = await s.query('SELECT status, error, rtt1_ms, requests, distances, cpl_errors, bytes_in FROM visits');
    assert.deepEqual({ ...v }, { status: 'failed', error: 'refused', rtt1_ms: null, requests: 0, distances: '', cpl_errors: null, bytes_in: null });
    const [p] = await s.query<{ peer_id: string; agent_version: string | null; dialed: string; nat: boolean }>(
      'SELECT peer_id, agent_version, dialed_addrs::VARCHAR AS dialed, nat FROM peers');
    assert.equal(p!.peer_id, PEER);
    assert.equal(p!.agent_version, null);
    assert.deepEqual(JSON.parse(p!.dialed), ['/ip4/127.0.0.1/tcp/1']);
    assert.equal(p!.nat, false, 'a loopback address is dialable on a loopback network');
    assert.equal((await s.query('SELECT * FROM nodes')).length, 0, 'a peer never answered nor listed is not a sighting');
  } finally {
    await s.close();
  }
});

test('a bad bootnode is a usage error before anything opens', async () => {
  await assert.rejects(runLibp2pCrawlJob({ bootnodes: ['/ip4/1.2.3.4/tcp/1'], dbPath: join(tmp, 'never.duckdb'), config: {}, vantage: 'v', version: '0' }),
    (e: Error & { code?: string }) => e.code === 'ERR_USAGE_BAD_BOOTNODE');
  await assert.rejects(runLibp2pCrawlJob({ bootnodes: [], dbPath: null, config: {}, vantage: 'v', version: '0' }),
    (e: Error & { code?: string }) => e.code === 'ERR_USAGE_NO_BOOTNODE');
});
