import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimnet, type Simnet } from '../../src/simnet/simnet.js';
import { runCrawlJob, type CrawlJobResult } from '../../src/app/crawl-job.js';
import { Store } from '../../src/store/index.js';
import { NodeState } from '../../src/crawler/nodes.js';
import { toHex } from '../../src/util/bytes.js';

const PORT = 20000 + Math.floor(Math.random() * 20000);
const dir = mkdtempSync(join(tmpdir(), 'dhtscope-e2e-threads-'));

/** What a crawl found, independent of the order it found it in. */
interface Outcome { measured: string[]; failed: string[]; records: string[]; edges: string[]; visitRows: string[] }

async function crawl(net: Simnet, threads: number): Promise<{ outcome: Outcome; result: CrawlJobResult }> {
  const db = join(dir, `t${threads}.duckdb`);
  // sweep reads each node's whole table, so what is found does not depend on the order of visits; no loss,
  // short RTTs and generous timeouts, so neither run loses a node to a timeout.
  const result = await runCrawlJob({
    config: { strategy: 'sweep', threads, ratePerSec: 1500, requestTimeoutMs: 2000, retransmits: 2, bindAddress: '127.0.0.1' },
    bootnodes: net.truth.bootnodes, dbPath: db, keyFile: null, freshIdentity: true, version: 'test',
  });
  const measured: string[] = [], failed: string[] = [];
  for (const n of result.crawler.allNodes()) {
    if (n.state === NodeState.Measured) measured.push(toHex(n.id));
    else if (n.state === NodeState.Failed) failed.push(toHex(n.id));
  }
  const store = await Store.open(db);
  try {
    const id = result.summary.crawlId!;
    const records = (await store.query<{ r: string }>(`select node_id || ':' || seq || ':' || md5(raw::VARCHAR) as r from records where crawl_id = ${id}`)).map((x) => x.r);
    const edges = (await store.query<{ e: string }>(`select distinct from_node || '>' || to_node as e from edges where crawl_id = ${id}`)).map((x) => x.e);
    const visitRows = (await store.query<{ v: string }>(`select node_id || ':' || status || ':' || records_returned as v from visits where crawl_id = ${id}`)).map((x) => x.v);
    return { outcome: { measured: measured.sort(), failed: failed.sort(), records: records.sort(), edges: edges.sort(), visitRows: visitRows.sort() }, result };
  } finally { await store.close(); }
}

describe('e2e: the worker pool gives the same crawl as the single-threaded path', () => {
  let net: Simnet;
  before(async () => {
    net = await startSimnet({ nodes: 400, dead: 600, seed: 'threads', rttMs: [1, 10], port: PORT, shards: 1, loss: 0 });
  });
  after(async () => { await net?.stop(); rmSync(dir, { recursive: true, force: true }); });

  it('1 thread and 2 threads: same nodes measured and failed, same records, edges and visits stored', { timeout: 120_000 }, async () => {
    const one = await crawl(net, 1);
    const two = await crawl(net, 2);
    // The two paths really differ: inline crypto in one, the pool's workers in the other.
    assert.equal(one.result.summary.pool, null);
    const pool = two.result.summary.pool!;
    assert.ok(pool, 'the 2-thread crawl used the pool');
    assert.equal(pool.handshakes, two.result.summary.measured, 'one handshake per measured node, all on the pool');
    assert.ok(pool.records >= two.result.summary.records.new - net.truth.bootnodes.length, `records checked on the pool: ${pool.records}`);
    assert.ok(pool.tasks < pool.handshakes + pool.records, 'items are batched');

    assert.equal(one.outcome.measured.length, net.truth.live.length, 'every live node measured');
    assert.deepEqual(two.outcome.measured, one.outcome.measured);
    assert.deepEqual(two.outcome.failed, one.outcome.failed);
    assert.deepEqual(two.outcome.records, one.outcome.records);
    assert.deepEqual(two.outcome.edges, one.outcome.edges);
    assert.deepEqual(two.outcome.visitRows, one.outcome.visitRows);
    for (const k of ['discovered', 'measured', 'failed', 'unvisited'] as const) assert.equal(two.result.summary[k], one.result.summary[k], k);
    assert.deepEqual(two.result.summary.records, one.result.summary.records);
    assert.equal(two.result.summary.records.badSignature, 0);
  });
});
