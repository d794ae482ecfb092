const SQLSTATE = /^[0-9A-Z]{5}$/;
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE']);

/**
 * Recognises driver errors without importing the drivers: better-sqlite3 throws
 * `SqliteError` with a `SQLITE_*` code; pg's DatabaseError carries a SQLSTATE and a severity
 * (its `name` is just "error"); a lost PostgreSQL connection surfaces as a socket error.
 */
export function isDatabaseError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const { code, severity } = err as { code?: unknown; severity?: unknown };
  if (typeof code !== 'string') return err.message === 'Connection terminated unexpectedly' || err.message.startsWith('timeout exceeded when trying to connect');
  if (err.name === 'SqliteError' && code.startsWith('SQLITE_')) return true;
  if (typeof severity === 'string' && SQLSTATE.test(code)) return true;
  return CONNECTION_CODES.has(code) && 'address' in err && (err as { port?: unknown }).port !== undefined;
}
