// How a table is declared. A table is one TableDecl: its name, its columns in order with SQL type,
// nullability and meaning, and for batch-written tables how each value reaches the writer. The DDL, the
// writer's column filling, the exports and docs/schema.md are all derived from these declarations.

export type SqlType = 'INTEGER' | 'UINTEGER' | 'UBIGINT' | 'DOUBLE' | 'BOOLEAN' | 'VARCHAR' | 'BLOB' | 'TIMESTAMP' | 'JSON';

/** The databases a declaration becomes a table in. */
export type Dialect = 'duckdb' | 'postgres';

/**
 * Each declared type in each database. PostgreSQL has no unsigned types: UINTEGER widens to bigint, and
 * UBIGINT (record seqs reach 2^64-1) to numeric(20). TIMESTAMP is UTC without a zone in both. JSON keeps its
 * text as written (json, not jsonb), as DuckDB does.
 */
export const SQL_TYPES: Readonly<Record<Dialect, Readonly<Record<SqlType, string>>>> = {
  duckdb: { INTEGER: 'INTEGER', UINTEGER: 'UINTEGER', UBIGINT: 'UBIGINT', DOUBLE: 'DOUBLE', BOOLEAN: 'BOOLEAN', VARCHAR: 'VARCHAR', BLOB: 'BLOB', TIMESTAMP: 'TIMESTAMP', JSON: 'JSON' },
  postgres: { INTEGER: 'integer', UINTEGER: 'bigint', UBIGINT: 'numeric(20)', DOUBLE: 'double precision', BOOLEAN: 'boolean', VARCHAR: 'varchar', BLOB: 'bytea', TIMESTAMP: 'timestamp', JSON: 'json' },
};

/**
 * How the producer hands a column's value to the writer, one per batch column:
 * - `num`: a JS number (INTEGER, UINTEGER, DOUBLE) or epoch ms (TIMESTAMP); null travels as NaN.
 * - `u64`: a bigint (UBIGINT, never null).
 * - `id`: a 32-byte node ID, stored as 64 lowercase hex characters (VARCHAR).
 * - `bytes`: a Uint8Array (BLOB).
 * - `text`: a string or null (VARCHAR).
 */
export type InputKind = 'num' | 'u64' | 'id' | 'bytes' | 'text';

export interface ColumnDecl {
  readonly type: SqlType;
  readonly doc: string;
  readonly nullable?: boolean;
  /** A node ID column: given as 32 bytes, stored as hex. */
  readonly id?: true;
  /**
   * A column the writer derives from the table's decoded source (TableDecl.derive) instead of receiving it:
   * the producer never sends it.
   */
  readonly from?: (source: never) => unknown;
}

export interface TableDecl {
  readonly name: string;
  readonly doc: string;
  readonly columns: Readonly<Record<string, ColumnDecl>>;
  readonly primaryKey?: readonly string[];
  /**
   * For tables with derived columns: which input column is decoded (once per row, on the writer's thread)
   * and how; each derived column's `from` reads the result. A row whose source fails to decode keeps its
   * input columns and gets NULL in the derived ones.
   */
  readonly derive?: { readonly column: string; readonly decode: (bytes: Uint8Array) => unknown };
  /** Filled by a writer batch (false: written by SQL, like crawls and nodes). */
  readonly batched: boolean;
  /**
   * Secondary indexes, PostgreSQL only: the per-crawl and per-campaign scans a shared server serves many
   * crawls from. DuckDB gets none (its zone maps serve those scans, and indexes would slow the appenders).
   */
  readonly indexes?: readonly (readonly string[])[];
}

/** One column of a declared table, with its position and how it travels. */
export interface Column extends ColumnDecl {
  readonly name: string;
  /** Null for derived columns. */
  readonly input: InputKind | null;
}

export function inputKind(c: ColumnDecl): InputKind | null {
  if (c.from) return null;
  if (c.id) return 'id';
  switch (c.type) {
    case 'UBIGINT': return 'u64';
    case 'BLOB': return 'bytes';
    case 'VARCHAR': case 'JSON': return 'text';
    case 'BOOLEAN': case 'INTEGER': case 'UINTEGER': case 'DOUBLE': case 'TIMESTAMP': return 'num';
  }
}

const columnCache = new WeakMap<TableDecl, readonly Column[]>();

/** The table's columns in declaration order. */
export function columnsOf(t: TableDecl): readonly Column[] {
  let cs = columnCache.get(t);
  if (!cs) {
    cs = Object.entries(t.columns).map(([name, c]) => {
      const input = inputKind(c);
      if (input === 'u64' && c.nullable) throw new Error(`${t.name}.${name}: a sent UBIGINT cannot be nullable`);
      return { ...c, name, input };
    });
    columnCache.set(t, cs);
  }
  return cs;
}

/** The columns a producer sends, in batch order. */
export function inputColumnsOf(t: TableDecl): readonly Column[] {
  return columnsOf(t).filter((c) => c.input !== null);
}

/** JS type of a sent value, per declared column: what `Store.add` takes. */
type JsOf<C> = C extends { id: true } ? Uint8Array
  : C extends { type: 'UBIGINT' } ? bigint
  : C extends { type: 'BLOB' } ? Uint8Array
  : C extends { type: 'VARCHAR' | 'JSON' } ? string
  : C extends { type: 'BOOLEAN' } ? number | boolean
  : number;

/** A row as the producer hands it to the store: every sent column by name; derived columns are absent. */
export type InputRow<T extends TableDecl> = {
  -readonly [K in keyof T['columns'] as T['columns'][K] extends { from: unknown } ? never : K]:
    T['columns'][K] extends { nullable: true } ? JsOf<T['columns'][K]> | null : JsOf<T['columns'][K]>
};

/** CREATE TABLE for a declaration. */
export function createTableSql(t: TableDecl, dialect: Dialect = 'duckdb'): string {
  const cols = columnsOf(t).map((c) => `  ${c.name} ${SQL_TYPES[dialect][c.type]}${c.nullable ? '' : ' NOT NULL'}`);
  if (t.primaryKey) cols.push(`  PRIMARY KEY (${t.primaryKey.join(', ')})`);
  return `CREATE TABLE IF NOT EXISTS ${t.name} (\n${cols.join(',\n')}\n)`;
}

/** CREATE INDEX for each of the declaration's indexes (PostgreSQL), named after the table and columns. */
export function createIndexSql(t: TableDecl): string[] {
  return (t.indexes ?? []).map((cols) => `CREATE INDEX IF NOT EXISTS ${t.name}_${cols.join('_')}_idx ON ${t.name} (${cols.join(', ')})`);
}

/**
 * ALTER TABLE for a column added to a declaration, for a migration. Only nullable columns: rows already there
 * get NULL. Declare the column last, where ALTER puts it, since appenders fill columns by position.
 */
export function addColumnSql(t: TableDecl, name: string, dialect: Dialect = 'duckdb'): string {
  const c = t.columns[name];
  if (!c?.nullable) throw new Error(`${t.name}.${name}: only a declared nullable column can be added to existing rows`);
  return `ALTER TABLE ${t.name} ADD COLUMN IF NOT EXISTS ${name} ${SQL_TYPES[dialect][c.type]}`;
}

/**
 * ALTER TABLE that lets a column declared nullable take NULL, for a migration: a column that was NOT NULL in
 * older files. The rows there keep their values; the statement is the same in both databases.
 */
export function dropNotNullSql(t: TableDecl, name: string): string {
  if (!t.columns[name]?.nullable) throw new Error(`${t.name}.${name}: only a column declared nullable can drop NOT NULL`);
  return `ALTER TABLE ${t.name} ALTER COLUMN ${name} DROP NOT NULL`;
}

/** The schema reference for a set of tables, as Markdown (docs/schema.md is this, checked by a test). */
export function schemaMarkdown(tables: readonly TableDecl[], views: readonly ViewDecl[]): string {
  const out: string[] = [];
  for (const t of tables) {
    out.push(`### \`${t.name}\``, '', t.doc, '', '| column | type | meaning |', '|---|---|---|');
    for (const c of columnsOf(t)) {
      const attrs = [c.type, c.nullable ? 'nullable' : '', t.primaryKey?.includes(c.name) ? 'primary key' : ''].filter(Boolean).join(', ');
      out.push(`| \`${c.name}\` | ${attrs} | ${c.doc} |`);
    }
    out.push('');
  }
  for (const v of views) out.push(`### \`${v.name}\` (view)`, '', v.doc, '', '```sql', v.sql.trim(), '```', '');
  return out.join('\n');
}

export interface ViewDecl {
  readonly name: string;
  readonly doc: string;
  /** The SELECT the view stands for. */
  readonly sql: string;
}

export function createViewSql(v: ViewDecl): string {
  return `CREATE OR REPLACE VIEW ${v.name} AS\n${v.sql}`;
}

/** A string as an SQL literal, for the statements that cannot take bound parameters (COPY … TO, SET). */
export function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}
