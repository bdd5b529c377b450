import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { SCHEMA_VERSION, Store, StoreReader } from '../../../src/store/index.js';

const tmp = mkdtempSync(join(tmpdir(), 'dhtscope-reader-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** A fresh store file with one crawl. */
async function made(name: string): Promise<string> {
  const path = join(tmp, name);
  const s = await Store.open(path);
  await s.beginCrawl({ params: {}, vantage: 'test', version: 'test', strategy: 'prefix' });
  await s.close();
  return path;
}

/** Runs raw SQL on a file, as a foreign tool would. */
async function raw(path: string, sql: string[]): Promise<void> {
  const inst = await DuckDBInstance.create(path);
  const c = await inst.connect();
  for (const q of sql) await c.run(q);
  c.closeSync(); inst.closeSync();
}

describe('StoreReader', () => {
  it('reads, and cannot write', async () => {
    const r = await StoreReader.open(await made('a.duckdb'), { memoryLimitMB: 64 });
    try {
      assert.equal((await r.query<{ n: bigint }>('SELECT count(*) AS n FROM crawls'))[0]!.n, 1n);
      await assert.rejects(r.query(`DELETE FROM crawls`), /read-only|read only/i);
    } finally { r.close(); }
  });

  it('cannot touch local files, except those it was allowed', async () => {
    const csv = join(tmp, 'ranges.csv');
    writeFileSync(csv, '1,2,x\n');
    const r = await StoreReader.open(await made('b.duckdb'), { memoryLimitMB: 64, allowedPaths: [csv] });
    try {
      await assert.rejects(r.query(`SELECT * FROM read_csv('/etc/hostname')`), /disabled by configuration|Permission/);
      await assert.rejects(r.query(`COPY crawls TO '${join(tmp, 'out.csv')}'`), /disabled|Permission/);
      await assert.rejects(r.query(`SET enable_external_access = true`));
      assert.equal((await r.query(`SELECT * FROM read_csv('${csv}', header = false)`)).length, 1);
    } finally { r.close(); }
  });

  it('uses its own views, not those a foreign file holds', async () => {
    const path = await made('c.duckdb');
    const secret = join(tmp, 'secret.csv');
    writeFileSync(secret, 'from_node,to_node\nsecret,data\n');
    await raw(path, [`CREATE OR REPLACE VIEW edges AS SELECT * FROM read_csv('${secret}')`]);
    const r = await StoreReader.open(path, { memoryLimitMB: 64 });
    try {
      const rows = await r.query(`SELECT * FROM edges`);
      assert.equal(rows.length, 0, 'our edges view: no edges in this file');
    } finally { r.close(); }
  });

  it('refuses a newer schema untouched, and upgrades an older one', async () => {
    const newer = await made('d.duckdb');
    await raw(newer, [`UPDATE meta SET value = '${SCHEMA_VERSION + 1}' WHERE key = 'schema_version'`]);
    const before = readFileSync(newer);
    await assert.rejects(StoreReader.open(newer, { memoryLimitMB: 64 }), (e: Error & { code?: string }) => e.code === 'ERR_STORE_INVALID' && /understands up to/.test(e.message));
    assert.ok(readFileSync(newer).equals(before), 'not written');

    const older = await made('e.duckdb');
    await raw(older, [`UPDATE meta SET value = '${SCHEMA_VERSION - 1}' WHERE key = 'schema_version'`]);
    const r = await StoreReader.open(older, { memoryLimitMB: 64 });
    try {
      assert.equal((await r.query<{ value: string }>(`SELECT value FROM meta WHERE key = 'schema_version'`))[0]!.value, String(SCHEMA_VERSION));
    } finally { r.close(); }
  });

  it('says what is wrong with a missing or foreign file', async () => {
    await assert.rejects(StoreReader.open(join(tmp, 'none.duckdb'), { memoryLimitMB: 64 }), /no database at/);
    const foreign = join(tmp, 'f.duckdb');
    await raw(foreign, ['CREATE TABLE t (x INTEGER)']);
    await assert.rejects(StoreReader.open(foreign, { memoryLimitMB: 64 }), /not a dhtscope database/);
    const text = join(tmp, 'g.duckdb');
    writeFileSync(text, 'not a database');
    await assert.rejects(StoreReader.open(text, { memoryLimitMB: 64 }), (e: Error & { code?: string }) => e.code === 'ERR_STORE_INVALID');
  });
});

describe('StoreReader.copyTo', () => {
  it('writes only to the file it was allowed', async () => {
    const path = await made('h.duckdb');
    const out = join(tmp, 'crawls.csv');
    const r = await StoreReader.open(path, { memoryLimitMB: 64, allowedPaths: [out] });
    try {
      assert.equal(await r.copyTo('SELECT id FROM crawls', 'csv', out), 1);
      assert.equal(readFileSync(out, 'utf8'), 'id\n1\n');
      await assert.rejects(r.copyTo('SELECT id FROM crawls', 'csv', join(tmp, 'other.csv')), /disabled|Permission/);
    } finally { r.close(); }
  });
});
