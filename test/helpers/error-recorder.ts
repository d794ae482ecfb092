import { appendFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { threadId } from 'node:worker_threads';

/** Where test processes note every error code a response carried (read by coverage:errors). */
export const ERROR_CODES_DIR = fileURLToPath(new URL('../../.test-artifacts/error-codes/', import.meta.url));

let file: string | undefined;

/** Records `body.error.code` if the body is an error envelope. */
export function recordErrorCode(body: unknown): void {
  const code = (body as { error?: { code?: unknown } } | null)?.error?.code;
  if (typeof code !== 'string') return;
  if (!file) {
    mkdirSync(ERROR_CODES_DIR, { recursive: true });
    file = `${ERROR_CODES_DIR}${process.pid}-${threadId}.log`;
  }
  appendFileSync(file, `${code}\n`);
}
