// `--db` values that name a PostgreSQL server rather than a DuckDB file.

/** postgres:// or postgresql:// (libpq's two spellings). */
export function isPostgresUrl(db: string): boolean {
  return /^postgres(ql)?:\/\//i.test(db);
}

/** The URL as it may be printed: a password, if one was given, replaced by `***`. */
export function redactUrl(db: string): string {
  try {
    const u = new URL(db);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return db.replace(/:\/\/([^:@/]*):[^@/]*@/, '://$1:***@');
  }
}

/** Whether the URL carries a password (which would show in `ps` when given as a flag). */
export function urlHasPassword(db: string): boolean {
  try {
    return new URL(db).password !== '';
  } catch {
    return /:\/\/[^:@/]*:[^@/]+@/.test(db);
  }
}
