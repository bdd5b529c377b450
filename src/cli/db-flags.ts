import { defaultGeoCacheDir, ensureGeoFiles, geoFilesInDir, type GeoFiles } from '../app/geo.js';
import { existsSync } from 'node:fs';
import { isPostgresUrl, READER_MEMORY_MB, redactUrl, urlHasPassword } from '../store/index.js';
import type { FlagSpecs, ParsedFlags } from '../util/args.js';
import { UsageError } from '../util/errors.js';

/** The DuckDB memory cap of the commands that only read (report, stats, serve). */
export const READER_DB_MEMORY_FLAG: FlagSpecs[string] = {
  type: 'int', help: 'DuckDB memory cap for the queries, MB', default: READER_MEMORY_MB, min: 16, max: 1_048_576,
};

/** --geo and where its databases come from (report and serve). */
export const GEO_FLAGS: FlagSpecs = {
  geo: { type: 'bool', help: 'country and AS figures or facets, from pinned ip-location-db databases (installed from npm into --geo-cache on first use)' },
  'geo-dir': { type: 'string', help: 'with --geo: read the two CSVs from this folder instead', valueName: 'dir' },
  'geo-cache': { type: 'string', help: 'with --geo: where the databases are installed', default: defaultGeoCacheDir(), valueName: 'dir' },
};

/** The --geo databases the flags ask for (installing them on first use), or undefined without --geo. */
export async function geoFromFlags(flags: ParsedFlags, log: (line: string) => void): Promise<GeoFiles | undefined> {
  if (!flags.geo) {
    if (flags['geo-dir'] !== undefined) throw new UsageError('ERR_USAGE_CONFLICT', '--geo-dir needs --geo');
    return undefined;
  }
  return flags['geo-dir'] !== undefined ? geoFilesInDir(flags['geo-dir'] as string) : await ensureGeoFiles(flags['geo-cache'] as string, log);
}

/** --db for a command: a DuckDB file, or a PostgreSQL server (`postgres://user@host:port/db`). */
export function dbFlag(what: string, def = 'dhtscope.duckdb'): FlagSpecs[string] {
  return { type: 'string', help: `${what}: a DuckDB file, or postgres://user@host:port/dbname (password from PGPASSWORD or ~/.pgpass)`, default: def, valueName: 'file|url' };
}

/**
 * Checks a --db value before anything opens it: a URL must not carry a password (flags show in `ps`), and
 * a file the command only reads must exist.
 */
export function checkDb(db: string, mustExist: boolean): string {
  if (isPostgresUrl(db)) {
    if (urlHasPassword(db)) throw new UsageError('ERR_USAGE_DB_PASSWORD', `--db ${redactUrl(db)}: give the password in PGPASSWORD or ~/.pgpass, not in the URL (command lines show in ps)`);
    return db;
  }
  if (mustExist && !existsSync(db)) throw new UsageError('ERR_USAGE_NO_DB', `no database at ${db}`);
  return db;
}
