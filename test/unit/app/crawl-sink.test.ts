import { after, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StoreSink } from '../../../src/app/crawl-sink.js';
import { Store } from '../../../src/store/index.js';
import { CrawlNode } from '../../../src/crawler/nodes.js';

const tmp = mkdtempSync(join(tmpdir(), 'dhtscope-sink-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

it('a refused record lands in bad_records with its reason, the ID it claims and who sent it', async () => {
  const store = await Store.open(join(tmp, 'bad.duckdb'));
  try {
    const crawlId = await store.beginCrawl({ params: {}, vantage: 'test', version: 'test', strategy: 'prefix' });
    const sink = new StoreSink(store, crawlId);
    const raw = Uint8Array.of(0xc3, 1, 2, 3);
    const claimed = new Uint8Array(32).fill(0xab);
    const from = new CrawlNode(new Uint8Array(32).fill(0x01), 0, 1n, 0, 0, Date.now(), 1); // a bare ID, no record
    sink.badRecord(raw, 'signature', claimed, from);
    raw[0] = 0; // the sink kept its own copy
    sink.badRecord(Uint8Array.of(7), 'decode', null, null);
    const rows = await store.query<{ node_id: string | null; from_node: string | null; reason: string; raw: Uint8Array }>(
      `SELECT node_id, from_node, reason, raw FROM bad_records WHERE crawl_id = $1 ORDER BY reason DESC`, [crawlId]);
    assert.equal(rows.length, 2);
    assert.deepEqual({ ...rows[0]!, raw: [...rows[0]!.raw] }, { node_id: 'ab'.repeat(32), from_node: '01'.repeat(32), reason: 'signature', raw: [0xc3, 1, 2, 3] });
    assert.deepEqual({ ...rows[1]!, raw: [...rows[1]!.raw] }, { node_id: null, from_node: null, reason: 'decode', raw: [7] });
  } finally {
    await store.close();
  }
});
