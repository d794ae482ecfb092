/**
 * Seed 003's coarse error classes, plus SERVICE_UNAVAILABLE for retryable 502/503.
 * Clients switch on these; `code` is the fine-grained, stable identifier.
 */
export const ERROR_TYPES = [
  'UNAUTHORIZED',
  'AUTH_FAILED',
  'VALIDATION_ERROR',
  'NOT_FOUND',
  'FORBIDDEN',
  'RATE_LIMITED',
  'INVALID_SOURCE',
  'INTERNAL_ERROR',
  'SERVICE_UNAVAILABLE',
] as const;

export type ErrorType = (typeof ERROR_TYPES)[number];

export type HttpErrorStatus = 400 | 401 | 403 | 404 | 405 | 409 | 413 | 415 | 429 | 500 | 502 | 503;

/** Which seed document named the code (`null`: introduced by DESIGN.md or an issue). */
export type SeedRef = '000' | '003' | null;

export interface Deviation {
  /** The status the seed gives. */
  seedStatus: number;
  /** Why Basalt answers differently. */
  why: string;
}

export interface ErrorDef {
  status: HttpErrorStatus;
  type: ErrorType;
  /** Public, generic message; never the internal cause. */
  message: string;
  /** One line: the situation that produces this code. */
  scenario: string;
  seed: SeedRef;
  deviation?: Deviation;
}
