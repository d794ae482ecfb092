import { AppError } from '../../errors/index.ts';

/**
 * Where the next page starts: strictly after (ts, id) in newest-first order, among entries
 * with ids up to `snapshot` — the newest id when the first page was read. Entries ingested
 * while a client pages are left out, so pages neither repeat nor shift under it.
 */
export interface LogCursor {
  ts: number;
  id: number;
  snapshot: number;
}

export function encodeCursor(c: LogCursor): string {
  return Buffer.from(JSON.stringify([c.ts, c.id, c.snapshot])).toString('base64url');
}

export function decodeCursor(value: string): LogCursor {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 3 && parsed.every((n) => Number.isSafeInteger(n) && n >= 0)) {
      const [ts, id, snapshot] = parsed as [number, number, number];
      return { ts, id, snapshot };
    }
  } catch {
    // falls through to the validation error
  }
  throw new AppError('general:validation_error', { details: [{ field: 'cursor', issue: 'not a cursor this API returned' }] });
}

/** Does (ts, id) come after the cursor in newest-first order? */
export function afterCursor(c: LogCursor | undefined, ts: number, id: number): boolean {
  if (!c) return true;
  return id <= c.snapshot && (ts < c.ts || (ts === c.ts && id < c.id));
}
