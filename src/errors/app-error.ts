import { errorDef, type ErrorCode } from './codes.ts';
import type { ErrorDef } from './types.ts';

export interface FieldIssue {
  field: string;
  issue: string;
}

export interface AppErrorOptions {
  /** Overrides the registry's public message (still public: never put internals here). */
  message?: string;
  details?: FieldIssue[];
  /** Internal cause: logged, shown to clients only in development. */
  cause?: unknown;
  /** Extra response headers (e.g. Retry-After). */
  headers?: Record<string, string>;
}

/** A domain error carrying a registry code. Knows nothing of HTTP beyond the registry's status. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly def: ErrorDef;
  readonly details: FieldIssue[] | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(code: ErrorCode, options: AppErrorOptions = {}) {
    const def = errorDef(code);
    super(options.message ?? def.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.def = def;
    this.details = options.details;
    this.headers = options.headers;
  }

  get status(): ErrorDef['status'] {
    return this.def.status;
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}
