import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TableBuffer } from '../../../src/store/batch.js';
import { addColumnSql, createTableSql, type TableDecl } from '../../../src/store/columns.js';
import { DuckDbBackend } from '../../../src/store/duckdb.js';
import { tableExportSql } from '../../../src/store/exports.js';
import { schemaDoc } from '../../../src/store/schema-doc.js';
import { META, MIGRATIONS, RECORDS, SCHEMA_VERSION, TABLES } from '../../../src/store/tables.js';
import { repoRoot } from '../../helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'dhtscope-tables-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

const PROBES = {
  name: 'probes', batched: true, doc: 'A test table.',
  columns: {
    crawl_id: { type: 'INTEGER', doc: 'crawl' },
    node_id: { type: 'VARCHAR', id: true, doc: 'node' },
    rtt_ms: { type: 'DOUBLE', nullable: true, doc: 'round trip' },
  },
} as const satisfies TableDecl;

/** The same table with one more measurement: only the declaration changes. */
const PROBES_WITH_TTL = {
  ...PROBES,
  columns: { ...PROBES.columns, ttl: { type: 'INTEGER', nullable: true, doc: 'hops left' } },
} as const satisfies TableDecl;

const id = (i: number) => new Uint8Array(32).fill(i);

test('a column added to a declaration alone is created, filled from the row by name and exported', async () => {
  const path = join(tmp, 'probes.duckdb');
  const db = await DuckDbBackend.open(path, { threads: 1, memoryLimitMB: 64, tables: [META, PROBES_WITH_TTL], views: [] });
  try {
    const buf = new TableBuffer(PROBES_WITH_TTL, 16);
    buf.add({ crawl_id: 1, node_id: id(1), rtt_ms: 12.5, ttl: 7 });
    buf.add({ crawl_id: 1, node_id: id(2), rtt_ms: null, ttl: null });
    const r = await db.write([buf.seal()!]);
    assert.deepEqual(r.committed, { probes: 2 });
    const out = join(tmp, 'probes.csv');
    assert.equal(await db.copyTo(tableExportSql(PROBES_WITH_TTL, 1, ['node_id']), 'csv', out), 2);
    assert.deepEqual(readFileSync(out, 'utf8').trim().split('\n'), [
      'node_id,rtt_ms,ttl', `${'01'.repeat(32)},12.5,7`, `${'02'.repeat(32)},,`,
    ]);
  } finally {
    db.close();
  }
});

test('DDL comes from the declaration: types, NOT NULL unless nullable, primary keys', () => {
  assert.equal(createTableSql(PROBES), 'CREATE TABLE IF NOT EXISTS probes (\n  crawl_id INTEGER NOT NULL,\n  node_id VARCHAR NOT NULL,\n  rtt_ms DOUBLE\n)');
  assert.match(createTableSql(META), /PRIMARY KEY \(key\)/);
});

test('a migration adds a declared nullable column as declared; a NOT NULL or unknown one is refused', () => {
  assert.equal(addColumnSql(PROBES_WITH_TTL, 'ttl'), 'ALTER TABLE probes ADD COLUMN IF NOT EXISTS ttl INTEGER');
  assert.throws(() => addColumnSql(PROBES, 'crawl_id'), /nullable/);
  assert.throws(() => addColumnSql(PROBES, 'ttl'), /nullable/);
});

test('the last migration reaches SCHEMA_VERSION; columns it adds to records are declared last, where ALTER puts them', () => {
  assert.equal(MIGRATIONS.at(-1)!.to, SCHEMA_VERSION);
  const names = Object.keys(RECORDS.columns);
  const added = MIGRATIONS.flatMap((m) => m.sql).map((q) => /^ALTER TABLE records ADD COLUMN IF NOT EXISTS (\w+)/.exec(q)?.[1]).filter((c) => c !== undefined);
  assert.deepEqual(added, ['fork', 'nfd', 'nfd_fork', 'cgc']);
  assert.deepEqual(names.slice(-added.length), added);
});

test('a batch travels by column: numbers, u64, ids and bytes survive a structured clone with transfer', () => {
  const buf = new TableBuffer(RECORDS, 4);
  const raw = Uint8Array.of(1, 2, 3);
  buf.add({ crawl_id: 3, node_id: id(9), seq: 2n ** 63n, raw, first_seen: 1.5 });
  buf.add({ crawl_id: 3, node_id: id(8), seq: 1n, raw: Uint8Array.of(4), first_seen: 2 });
  assert.throws(() => buf.add({ crawl_id: 3, node_id: id(8).subarray(1), seq: 1n, raw, first_seen: 2 }), /32-byte/);
  const b = buf.seal()!;
  assert.equal(buf.seal(), null, 'a sealed buffer starts empty');
  const copy = structuredClone(b);
  assert.equal(copy.rows, 2);
  assert.deepEqual([...(copy.cols[0] as Float64Array)], [3, 3]);
  assert.deepEqual([...(copy.cols[2] as BigUint64Array)], [2n ** 63n, 1n]);
  assert.deepEqual((copy.cols[1] as Uint8Array).subarray(32, 64), id(8));
  const bytes = copy.cols[3] as { offsets: Uint32Array; heap: Uint8Array };
  assert.deepEqual([...bytes.offsets], [0, 3, 4]);
  assert.deepEqual([...bytes.heap], [1, 2, 3, 4]);
});

test('docs/schema.md is the one generated from the declarations (npm run docs:schema)', () => {
  const doc = readFileSync(join(repoRoot(), 'docs', 'schema.md'), 'utf8');
  assert.equal(doc, schemaDoc(), 'docs/schema.md drifted from src/store/tables.ts: run npm run docs:schema');
  for (const t of TABLES) assert.ok(doc.includes(`### \`${t.name}\``), t.name);
});
