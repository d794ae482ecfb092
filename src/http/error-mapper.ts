import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { AppError, type ErrorCode } from '../errors/index.ts';
import { isDatabaseError } from '../db/errors.ts';
import { errorBody, type ErrorBody } from './envelope.ts';
import type { AppEnv } from './env.ts';
import { requestLog } from './request-id.ts';

function fromHttpException(err: HTTPException): AppError {
  // zod-openapi refuses a body whose media type the route does not declare (415); the
  // contract answers 400 general:bad_request, naming the header.
  if (err.status === 415) {
    return new AppError('general:bad_request', {
      cause: err,
      message: 'Unsupported content type',
      details: [{ field: 'Content-Type', issue: 'not a media type this route accepts' }],
    });
  }
  const byStatus: Record<number, ErrorCode> = {
    400: 'general:bad_request',
    401: 'user:unauthorized',
    403: 'FORBIDDEN',
    404: 'system:not_found',
    413: 'FILE_TOO_LARGE',
  };
  const code = byStatus[err.status] ?? 'system:internal_error';
  // Hono's own 400s ("Malformed JSON in request body") are safe and useful to show.
  return new AppError(code, { cause: err, ...(err.status === 400 && err.message ? { message: err.message } : {}) });
}

/** Any thrown value → an AppError; unknown faults become system:internal_error. */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof HTTPException) return fromHttpException(err);
  if (isDatabaseError(err)) return new AppError('system:database_error', { cause: err });
  return new AppError('system:internal_error', { cause: err });
}

function describeCause(err: AppError): { cause?: string; stack?: string } {
  const cause = err.cause;
  if (cause instanceof Error) return { cause: `${cause.name}: ${cause.message}`, ...(cause.stack ? { stack: cause.stack } : {}) };
  if (cause !== undefined) return { cause: String(cause) };
  return err.stack ? { stack: err.stack } : {};
}

/** The one place where an error becomes an HTTP response. */
export function errorHandler(options: { exposeInternals: boolean }) {
  return (thrown: unknown, c: Context<AppEnv>) => {
    const err = toAppError(thrown);
    const requestId = c.get('requestId') ?? 'req_unknown';
    const log = requestLog(c);
    if (err.status >= 500) log?.error({ err: err.cause ?? err, code: err.code }, 'request failed');
    else if (err.cause !== undefined) log?.debug({ err: err.cause, code: err.code }, 'request refused');
    const body: ErrorBody = { code: err.code, type: err.def.type, message: err.message, requestId };
    if (err.details || err.def.type === 'VALIDATION_ERROR') body.details = err.details ?? [];
    if (options.exposeInternals) Object.assign(body, describeCause(err));
    if (err.headers) for (const [k, v] of Object.entries(err.headers)) c.header(k, v);
    return c.json(errorBody(body), err.status);
  };
}
