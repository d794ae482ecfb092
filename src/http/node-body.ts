import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';

/** Reads the whole request body off Node's stream, as one Buffer. */
function readAll(incoming: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    incoming.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
    });
    incoming.once('end', () => resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size)));
    incoming.once('error', reject);
    incoming.once('aborted', () => reject(new Error('request aborted before its body ended')));
  });
}

// What Response.text() does that Buffer#toString does not: drop a leading byte-order mark.
function utf8(body: Buffer): string {
  const text = body.toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * Makes `c.req.json()`, `.text()` and `.arrayBuffer()` read the body straight off Node's
 * request stream. Through `c.req.raw` they would first build a WHATWG Request around the
 * socket (with its AbortController and a web stream), which cost more than the rest of a
 * small JSON request's reading and parsing. Lazy: a route that never reads the body reads
 * nothing, and one that streams it (`c.req.raw.body`) is unaffected.
 *
 * Only for a body of declared length, which Node's parser stops at: the caller has checked
 * that length against the limit (a chunked body goes through Hono's counting limiter).
 */
export function readBodyFromNode(c: Context, incoming: IncomingMessage): void {
  // Hono's type names the values; at run time it keeps promises of them.
  const cache = c.req.bodyCache as Record<string, unknown>;
  let bytes: Promise<Buffer> | undefined;
  const read = () => (bytes ??= readAll(incoming));
  // Hono looks for a cached body by key, and converts from any *enumerable* cached key when
  // asked for another: the getters stay hidden until used, then become plain cached values.
  const lazy = (key: 'text' | 'arrayBuffer', from: (body: Buffer) => string | ArrayBuffer) => {
    Object.defineProperty(cache, key, {
      configurable: true,
      enumerable: false,
      get() {
        const value = read().then(from);
        Object.defineProperty(cache, key, { value, configurable: true, enumerable: true, writable: true });
        return value;
      },
    });
  };
  lazy('text', utf8);
  lazy('arrayBuffer', (body) => body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer);
}
