export interface SseMessage {
  id?: string;
  event: string;
  data: string;
}

export interface SseClient {
  status: number;
  messages: SseMessage[];
  comments: string[];
  /** Resolves when the server ends the stream (or it is aborted). */
  ended: Promise<void>;
  /** Resolves with the first message (already received or next) that matches. */
  next(match: (m: SseMessage) => boolean, timeoutMs?: number): Promise<SseMessage>;
  close(): void;
}

type Fetcher = (request: Request) => Response | Promise<Response>;

/** Opens GET /v1/events and parses the stream as a browser's EventSource would. */
export async function openEvents(fetcher: Fetcher, token: string, lastEventId?: string, base = 'http://basalt.test'): Promise<SseClient> {
  const controller = new AbortController();
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'text/event-stream' };
  if (lastEventId) headers['last-event-id'] = lastEventId;
  const res = await fetcher(new Request(new URL('/v1/events', base), { headers, signal: controller.signal }));
  const messages: SseMessage[] = [];
  const comments: string[] = [];
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const w of waiters) w();
  };
  let ended: Promise<void> = Promise.resolve();
  if (res.body && res.status === 200) {
    ended = (async () => {
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          buffer += decoder.decode(value, { stream: true });
          let cut = buffer.indexOf('\n\n');
          while (cut >= 0) {
            const block = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            const m: SseMessage = { event: 'message', data: '' };
            const data: string[] = [];
            let isComment = true;
            for (const line of block.split('\n')) {
              if (line.startsWith(':')) {
                comments.push(line.slice(1).trim());
                continue;
              }
              isComment = false;
              const [field, ...rest] = line.split(':');
              const value = rest.join(':').replace(/^ /, '');
              if (field === 'id') m.id = value;
              else if (field === 'event') m.event = value;
              else if (field === 'data') data.push(value);
            }
            if (!isComment) {
              m.data = data.join('\n');
              messages.push(m);
            }
            notify();
            cut = buffer.indexOf('\n\n');
          }
        }
      } catch {
        // aborted
      }
    })();
  }
  return {
    status: res.status,
    ended,
    messages,
    comments,
    next: (match, timeoutMs = 5_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const found = messages.find(match);
          if (found) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(found);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no matching event in ${timeoutMs} ms; got ${messages.map((m) => m.event).join(', ')}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
    close: () => controller.abort(),
  };
}

export function payload(m: SseMessage): { id: string; type: string; data: Record<string, unknown>; occurredAt: string } {
  return JSON.parse(m.data) as { id: string; type: string; data: Record<string, unknown>; occurredAt: string };
}
