import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { FieldIssue } from '../errors/index.ts';
import type { ErrorType } from '../errors/types.ts';
import { nowIso } from '../lib/logger.ts';
import { serializedJson } from '../lib/serialize-once.ts';

export interface Meta {
  timestamp: string;
  nextCursor?: string | null;
}

export interface SuccessEnvelope<T> {
  success: true;
  data: T;
  error: null;
  meta: Meta;
}

export interface ErrorBody {
  code: string;
  type: ErrorType;
  message: string;
  details?: FieldIssue[];
  requestId: string;
  /** Development only. */
  cause?: string;
  /** Development only. */
  stack?: string;
}

export interface ErrorEnvelope {
  success: false;
  data: null;
  error: ErrorBody;
  meta: Meta;
}

export function successBody<T>(data: T, meta?: Omit<Meta, 'timestamp'>): SuccessEnvelope<T> {
  return { success: true, data, error: null, meta: meta === undefined ? { timestamp: nowIso() } : { timestamp: nowIso(), ...meta } };
}

export function errorBody(error: ErrorBody): ErrorEnvelope {
  return { success: false, data: null, error, meta: { timestamp: nowIso() } };
}

/** Serialise a handler's result in the success envelope. */
export function ok<T, S extends ContentfulStatusCode = 200>(c: Context, data: T, status?: S, meta?: Omit<Meta, 'timestamp'>) {
  const json = meta === undefined ? serializedJson(data) : undefined;
  if (json === undefined) return c.json(successBody(data, meta), (status ?? 200) as S);
  // Byte for byte what c.json writes for successBody(data); a fresh header object each time,
  // as Node's writeHead is handed it to add to.
  const body = `{"success":true,"data":${json},"error":null,"meta":{"timestamp":"${nowIso()}"}}`;
  return c.body(body, status ?? 200, { 'Content-Type': 'application/json' }) as unknown as ReturnType<typeof c.json<SuccessEnvelope<T>, S>>;
}
