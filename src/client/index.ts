/**
 * A small typed client for the Basalt HTTP API. The types come from the OpenAPI document
 * (src/client/openapi/, generated); this file only adds a fetch wrapper that unwraps the
 * envelope, throws ApiError for every error envelope and can refresh an expired access token.
 * It runs in browsers and on Node 20 (global fetch); the console is built on it.
 *
 *   const api = createClient({ baseUrl: 'https://basalt.example.com', token: () => accessToken });
 *   const me = await api.get('/v1/me');
 *   await api.delete('/v1/me/sessions/{id}', { params: { id } });
 */
import type { components, paths } from './openapi/index.ts';

export type { components, paths } from './openapi/index.ts';
export type Schemas = components['schemas'];

export type Method = 'get' | 'post' | 'patch' | 'put' | 'delete';

type OperationOf<P extends keyof paths, M extends Method> = Exclude<paths[P][M], undefined>;
/** The paths that have an operation for `M`. */
export type PathsFor<M extends Method> = { [P in keyof paths]: [OperationOf<P, M>] extends [never] ? never : P }[keyof paths];

type ParamsOf<O> = O extends { parameters: infer X } ? X : never;
type PathParams<O> = ParamsOf<O> extends { path: infer X } ? X : undefined;
type QueryParams<O> = ParamsOf<O> extends { query?: infer X } ? X : undefined;
type JsonBody<O> = O extends { requestBody?: infer RB } ? (RB extends { content: { 'application/json': infer B } } ? B : undefined) : undefined;
type SuccessStatus = 200 | 201 | 202;
/** The `data` of the operation's success envelope. */
export type ResponseData<O> = O extends { responses: infer R }
  ? { [K in keyof R]: K extends SuccessStatus ? (R[K] extends { content: { 'application/json': { data: infer D } } } ? D : never) : never }[keyof R]
  : never;

export type RequestOptions<O> = {
  query?: QueryParams<O>;
  body?: JsonBody<O>;
  headers?: Record<string, string>;
  signal?: AbortSignal;
} & ([PathParams<O>] extends [undefined] ? { params?: undefined } : { params: PathParams<O> });

/** What `data` an operation answers: `Data<'/v1/me', 'get'>` is the User. */
export type Data<P extends PathsFor<M>, M extends Method> = ResponseData<OperationOf<P, M>>;

type Args<P extends keyof paths, M extends Method> = [PathParams<OperationOf<P, M>>] extends [undefined]
  ? [options?: RequestOptions<OperationOf<P, M>>]
  : [options: RequestOptions<OperationOf<P, M>>];

export interface FieldIssue {
  field: string;
  issue: string;
}

/**
 * An error envelope from the server, or a failure to reach it. `code` is the server's stable
 * code (see /errors); two codes are the client's own: `client:network_error` (no response)
 * and `client:invalid_response` (a response that is not an envelope).
 */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly type: string;
  readonly details: FieldIssue[];
  readonly requestId: string | null;

  constructor(init: { status: number; code: string; type: string; message: string; details?: FieldIssue[]; requestId?: string | null }) {
    super(init.message);
    this.name = 'ApiError';
    this.status = init.status;
    this.code = init.code;
    this.type = init.type;
    this.details = init.details ?? [];
    this.requestId = init.requestId ?? null;
  }
}

/** Codes after which a fresh access token may help (the refresh cookie may still be good). */
const REFRESHABLE = new Set(['user:token_expired', 'user:invalid_token', 'user:unauthorized']);

export interface ClientOptions {
  /** Origin of the server; '' for the same origin (the console). */
  baseUrl?: string;
  /** The access token to send as `Authorization: Bearer`, if any. */
  token?: () => string | null | undefined;
  /**
   * Called once when a request with a token fails with an expired or invalid token; answer
   * true when a new token is in place, and the request is sent again.
   */
  refresh?: () => Promise<boolean>;
  /** `include` sends cookies (the refresh cookie) to another origin. Same origin by default. */
  credentials?: 'omit' | 'same-origin' | 'include';
  fetch?: (input: string, init?: RequestInit) => Promise<Response>;
}

export interface Page<T> {
  data: T;
  nextCursor: string | null;
}

interface Envelope {
  success: boolean;
  data: unknown;
  error: { code: string; type: string; message: string; details?: FieldIssue[]; requestId?: string } | null;
  meta?: { nextCursor?: string | null };
}

function isEnvelope(v: unknown): v is Envelope {
  return typeof v === 'object' && v !== null && 'success' in v && 'error' in v;
}

function fillPath(path: string, params: Record<string, string | number> | undefined): string {
  return path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const value = params?.[name];
    if (value === undefined) throw new TypeError(`missing path parameter "${name}" for ${path}`);
    return encodeURIComponent(String(value));
  });
}

function queryString(query: Record<string, unknown> | undefined): string {
  if (!query) return '';
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === '') continue;
    search.set(k, String(v));
  }
  const s = search.toString();
  return s ? `?${s}` : '';
}

export function createClient(options: ClientOptions = {}) {
  const baseUrl = (options.baseUrl ?? '').replace(/\/+$/, '');
  const doFetch = options.fetch ?? ((input: string, init?: RequestInit) => fetch(input, init));

  /** Low-level: any path (multipart, SSE, binary) with the auth header; answers the raw Response. */
  async function raw(path: string, init: RequestInit = {}, retry = true): Promise<Response> {
    const headers = new Headers(init.headers);
    const token = options.token?.();
    if (token && !headers.has('authorization')) headers.set('authorization', `Bearer ${token}`);
    let res: Response;
    try {
      res = await doFetch(`${baseUrl}${path}`, { ...init, headers, ...(options.credentials ? { credentials: options.credentials } : {}) });
    } catch (err) {
      if ((err as Error).name === 'AbortError') throw err;
      throw new ApiError({ status: 0, code: 'client:network_error', type: 'SERVICE_UNAVAILABLE', message: `Could not reach the server (${(err as Error).message})` });
    }
    if (res.status === 401 && token && retry && options.refresh) {
      const code = await res
        .clone()
        .json()
        .then((b: unknown) => (isEnvelope(b) ? b.error?.code : undefined))
        .catch(() => undefined);
      if (code && REFRESHABLE.has(code) && (await options.refresh())) return raw(path, init, false);
    }
    return res;
  }

  async function envelope(res: Response): Promise<Envelope> {
    const text = await res.text();
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (!isEnvelope(body)) {
      throw new ApiError({ status: res.status, code: 'client:invalid_response', type: 'INTERNAL_ERROR', message: `Unexpected ${res.status} response from the server`, requestId: res.headers.get('x-request-id') });
    }
    if (!body.success || body.error) {
      const e = body.error ?? { code: 'client:invalid_response', type: 'INTERNAL_ERROR', message: 'Error without details' };
      throw new ApiError({ status: res.status, code: e.code, type: e.type, message: e.message, details: e.details ?? [], requestId: e.requestId ?? res.headers.get('x-request-id') });
    }
    return body;
  }

  async function send(method: Method, path: string, opts: { params?: unknown; query?: unknown; body?: unknown; headers?: Record<string, string>; signal?: AbortSignal } = {}): Promise<Envelope> {
    const url = fillPath(path, opts.params as Record<string, string> | undefined) + queryString(opts.query as Record<string, unknown> | undefined);
    const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
    const init: RequestInit = { method: method.toUpperCase(), headers };
    if (opts.signal) init.signal = opts.signal;
    if (opts.body !== undefined) {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(opts.body);
    }
    return envelope(await raw(url, init));
  }

  function call<M extends Method>(method: M) {
    return async <P extends PathsFor<M>>(path: P, ...args: Args<P, M>): Promise<Data<P, M>> =>
      (await send(method, path as string, args[0] as never)).data as Data<P, M>;
  }

  return {
    get: call('get'),
    post: call('post'),
    patch: call('patch'),
    put: call('put'),
    delete: call('delete'),
    /** A GET of a list endpoint, with the cursor for the next page (`meta.nextCursor`). */
    async page<P extends PathsFor<'get'>>(path: P, ...args: Args<P, 'get'>): Promise<Page<Data<P, 'get'>>> {
      const body = await send('get', path as string, args[0] as never);
      return { data: body.data as Data<P, 'get'>, nextCursor: body.meta?.nextCursor ?? null };
    },
    raw,
    /** Turns a raw Response into its `data`, throwing ApiError for an error envelope. */
    async unwrap<T>(res: Response): Promise<T> {
      return (await envelope(res)).data as T;
    },
  };
}

export type BasaltClient = ReturnType<typeof createClient>;
