import { DhtscopeError } from '../util/errors.js';

/** Stable codes; the CLI maps them to exit messages, so never rename one. */
export type StoreErrorCode =
  | 'ERR_STORE_UNWRITABLE' // path cannot be created or written (missing dir, parent is a file, EACCES, EROFS)
  | 'ERR_STORE_LOCKED' // another process holds the DuckDB write lock
  | 'ERR_STORE_DISK_FULL' // ENOSPC while writing the DB or its WAL
  | 'ERR_STORE_INVALID' // file exists but is not a DuckDB DB we can read, or has a newer schema
  | 'ERR_STORE_CLOSED' // store used after close()
  | 'ERR_STORE_BAD_ROW' // a row the appender refused (wrong JS type); the row is dropped
  | 'ERR_STORE_OPTIONS' // bad open() options or arguments
  | 'ERR_STORE_NO_CRAWL' // the crawl id asked for does not exist (or the store has no crawls)
  | 'ERR_STORE_LIMIT' // a per-file limit was reached (2^32 edge node numbers)
  | 'ERR_STORE_BACKLOG' // the writer cannot take more rows: its writes fail, or it stalled past the timeout
  | 'ERR_STORE_UNREACHABLE' // the PostgreSQL server refused or lost the connection, or the login failed
  | 'ERR_STORE_IO'; // anything else DuckDB threw

/** Every failure of the store; `cause` keeps DuckDB's original error. */
export class StoreError extends DhtscopeError {
  declare readonly code: StoreErrorCode;
  constructor(code: StoreErrorCode, message: string, cause?: unknown) {
    super(code, message);
    if (cause !== undefined) this.cause = cause;
  }
}

function firstLine(s: string): string {
  const i = s.indexOf('\n');
  return (i < 0 ? s : s.slice(0, i)).trim();
}

/**
 * Turns whatever DuckDB (or fs) threw into a StoreError with a one-line message naming the path.
 * `doing` is a short verb phrase ending in what `path` is, like "open database" or "export to".
 */
export function mapStoreError(e: unknown, path: string, doing: string): StoreError {
  if (e instanceof StoreError) return e;
  const raw = e instanceof Error ? e.message : String(e);
  const code = (e as { code?: unknown } | null)?.code;
  // DuckDB repeats the root cause inside "database has been invalidated ... Original error: ...", so test the whole text.
  if (/Could not set lock on file/i.test(raw)) {
    const holder = /Conflicting lock is held in (.+?) \(PID (\d+)\)/.exec(raw);
    const who = holder ? ` (held by ${holder[1]} pid ${holder[2]})` : '';
    return new StoreError('ERR_STORE_LOCKED', `database ${path} is locked by another process${who}; DuckDB allows one writer`, e);
  }
  if (code === 'ENOSPC' || /No space left on device|ENOSPC/i.test(raw)) {
    return new StoreError('ERR_STORE_DISK_FULL', `no space left on device to ${doing} ${path}`, e);
  }
  if (
    ['EACCES', 'EPERM', 'EROFS', 'ENOTDIR', 'ENOENT', 'EISDIR'].includes(String(code)) ||
    /Permission denied|Read-only file system|Not a directory|No such file or directory|Is a directory|Cannot open file|Cannot open database/i.test(raw)
  ) {
    const why = /: ([^:"]+)$/.exec(firstLine(raw))?.[1] ?? firstLine(raw);
    return new StoreError('ERR_STORE_UNWRITABLE', `cannot ${doing} ${path}: ${why.trim()}`, e);
  }
  if (/not a valid DuckDB database file|Trying to read a database file with version|database file .* (older|newer)/i.test(raw)) {
    return new StoreError('ERR_STORE_INVALID', `${path} is not a DuckDB database this version can use: ${firstLine(raw)}`, e);
  }
  return new StoreError('ERR_STORE_IO', `failed to ${doing} ${path}: ${firstLine(raw)}`, e);
}

/** DuckDB marks the whole instance unusable after a fatal error (e.g. a checkpoint hit ENOSPC); only a reopen recovers. */
export function isFatal(e: unknown): boolean {
  const raw = e instanceof Error ? e.message : String(e);
  return /FATAL Error|database has been invalidated|Reopen the database/i.test(raw);
}

/** DuckDB's autocheckpoint can fail after the commit itself is durable; the rows must then not be retried. */
export function committedAnyway(e: unknown): boolean {
  const raw = e instanceof Error ? e.message : String(e);
  return /COMMIT succeeded and is durable/i.test(raw) && !/has been invalidated/i.test(raw);
}
