import { defaultGeoCacheDir, ensureGeoFiles, geoFilesInDir, type GeoFiles } from '../app/geo.js';
import { READER_MEMORY_MB } from '../store/index.js';
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
