import { READER_MEMORY_MB } from '../store/index.js';
import type { FlagSpecs } from '../util/args.js';

/** The DuckDB memory cap of the commands that only read (report, stats, serve). */
export const READER_DB_MEMORY_FLAG: FlagSpecs[string] = {
  type: 'int', help: 'DuckDB memory cap for the queries, MB', default: READER_MEMORY_MB, min: 16, max: 1_048_576,
};
