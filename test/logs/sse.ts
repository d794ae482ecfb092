export interface SseEvent {
  id?: string;
  event: string;
  data: string;
}

export interface SseStream {
  status: number;
  contentType: string | null;
  events: SseEvent[];
  comments: string[];
  /** Resolves once `n` events (other than `ready`) have arrived; rejects after `timeoutMs`. */
  waitFor(n: number, timeoutMs?: number): Promise<SseEvent[]>;
  /** Waits `ms` and returns every event (other than `ready`) seen so far. */
  settle(ms: number): Promise<SseEvent[]>;
  close(): void;
}

/** Reads a Server-Sent Events response as it arrives (in-process fetch or a real socket). */
export async function openSse(fetcher: (req: Request) => Response | Promise<Response>, url: string, headers: Record<string, string>): Promise<SseStream> {
  const controller = new AbortController();
  const res = await fetcher(new Request(url, { headers, signal: controller.signal }));
  const events: SseEvent[] = [];
  const comments: string[] = [];
  const waiters = new Set<() => void>();
  const reader = res.body?.getReader();
  void (async () => {
    if (!reader) return;
    const decoder = new TextDecoder();
    let text = '';
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
        for (let end = text.indexOf('\n\n'); end >= 0; end = text.indexOf('\n\n')) {
          const block = text.slice(0, end);
          text = text.slice(end + 2);
          const e: SseEvent = { event: 'message', data: '' };
          let isEvent = false;
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) comments.push(line.slice(1).trim());
            else if (line.startsWith('id:')) e.id = line.slice(3).trim();
            else if (line.startsWith('event:')) ((e.event = line.slice(6).trim()), (isEvent = true));
            else if (line.startsWith('data:')) ((e.data += line.slice(5).trim()), (isEvent = true));
          }
          if (isEvent) events.push(e);
          for (const w of waiters) w();
        }
      }
    } catch {
      // aborted
    }
  })();
  const payload = () => events.filter((e) => e.event !== 'ready');
  return {
    status: res.status,
    contentType: res.headers.get('content-type'),
    events,
    comments,
    waitFor: (n, timeoutMs = 10_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (payload().length >= n) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(payload());
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`expected ${n} events, got ${payload().length}: ${JSON.stringify(payload())}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
    settle: async (ms) => {
      await new Promise((r) => setTimeout(r, ms));
      return payload();
    },
    close: () => controller.abort(),
  };
}
