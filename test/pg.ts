// The PostgreSQL server the tests use: DHTSCOPE_TEST_PG names it (`.ci/run` starts one with
// scripts/pg-test-server.sh). Without it, PostgreSQL tests are skipped with PG_SKIP as the printed reason.
import pg from 'pg';

export const PG_URL = process.env.DHTSCOPE_TEST_PG ?? '';
export const PG_SKIP: string | false = PG_URL
  ? false
  : 'no PostgreSQL server: set DHTSCOPE_TEST_PG=postgres://user@127.0.0.1:PORT/db (scripts/pg-test-server.sh start DIR starts one)';

let made = 0;

/** A new, empty database on the test server, named after the test; returns its URL. */
export async function freshPgDb(label: string): Promise<string> {
  const name = `t_${label.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${process.pid}_${made++}`.slice(0, 63);
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    await c.query(`DROP DATABASE IF EXISTS ${name}`);
    await c.query(`CREATE DATABASE ${name}`);
  } finally {
    await c.end();
  }
  const u = new URL(PG_URL);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Runs SQL on a test database outside any store (to break or inspect it). */
export async function pgExec(url: string, sql: string, params: unknown[] = []): Promise<pg.QueryResult> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await c.query(sql, params);
  } finally {
    await c.end();
  }
}

/** Each backend a store test runs on: DuckDB always, PostgreSQL when a server is given. */
export interface TestBackend {
  name: 'duckdb' | 'postgres';
  skip: string | false;
  /** A fresh database: a file under `dir` (or DuckDB's ':memory:' when `memory`), or a new PostgreSQL database. */
  db(dir: string, label: string, memory?: boolean): Promise<string>;
}

export const TEST_BACKENDS: readonly TestBackend[] = [
  { name: 'duckdb', skip: false, db: async (dir, label, memory) => (memory ? ':memory:' : `${dir}/${label}.duckdb`) },
  { name: 'postgres', skip: PG_SKIP, db: async (_dir, label) => freshPgDb(label) },
];

/** Runs SQL on a test database of either backend outside any store (to take it back to an older schema). */
export async function rawExec(db: string, sqls: readonly string[]): Promise<void> {
  if (db.startsWith('postgres')) {
    for (const sql of sqls) await pgExec(db, sql);
    return;
  }
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const inst = await DuckDBInstance.create(db);
  const con = await inst.connect();
  try { for (const sql of sqls) await con.run(sql); } finally { con.closeSync(); inst.closeSync(); }
}
