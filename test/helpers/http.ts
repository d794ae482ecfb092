import { recordErrorCode } from './error-recorder.ts';

export interface ApiResponse<T = unknown> {
  status: number;
  headers: Headers;
  /** Parsed JSON when the response is JSON, the text otherwise. */
  body: T;
  text: string;
}

export interface CallOptions {
  json?: unknown;
  body?: RequestInit['body'];
  headers?: Record<string, string>;
  token?: string;
}

/** The envelope as tests read it: `data` is left open so scenarios can reach into it. */
export interface TestEnvelope {
  success: boolean;
  // biome-ignore lint: tests read arbitrary response data; the envelope itself is typed.
  data: any;
  error: { code: string; type: string; message: string; details?: Array<{ field: string; issue: string }>; requestId: string; cause?: string; stack?: string } | null;
  meta: { timestamp: string; nextCursor?: string | null };
}

type Fetcher = (request: Request) => Response | Promise<Response>;

async function read<T>(res: Response): Promise<ApiResponse<T>> {
  const text = await res.text();
  let body: unknown = text;
  if (res.headers.get('content-type')?.includes('json')) {
    body = JSON.parse(text);
    recordErrorCode(body);
  }
  return { status: res.status, headers: res.headers, body: body as T, text };
}

/**
 * A tiny client over any fetch-like target (an app's `fetch` in-process, or a real server
 * by URL). Every error code it sees is recorded for the error-code coverage report.
 */
export function apiClient(target: Fetcher | string) {
  const base = typeof target === 'string' ? target : 'http://basalt.test';
  const send: Fetcher = typeof target === 'string' ? (req) => fetch(req) : target;
  return async function call<T = TestEnvelope>(method: string, path: string, options: CallOptions = {}): Promise<ApiResponse<T>> {
    const headers = new Headers(options.headers);
    let body = options.body;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      if (!headers.has('content-type')) headers.set('content-type', 'application/json');
    }
    if (options.token) headers.set('authorization', `Bearer ${options.token}`);
    const init: RequestInit & { duplex?: 'half' } = { method, headers };
    if (body !== undefined) {
      init.body = body;
      init.duplex = 'half';
    }
    return read<T>(await send(new Request(new URL(path, base), init)));
  };
}

export type ApiCall = ReturnType<typeof apiClient>;
