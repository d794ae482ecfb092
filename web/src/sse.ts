import { api } from './api.ts';

export interface SseEvent {
  id: string | undefined;
  event: string;
  data: string;
}

/**
 * Server-Sent Events over fetch: EventSource cannot send the Authorization header, and the
 * access token must not go into a URL. Reconnects after a drop (from the last event id) until
 * `signal` aborts; API errors (a 4xx before the stream) are reported and end it.
 */
export async function subscribe(path: string, onEvent: (e: SseEvent) => void, options: { signal: AbortSignal; onError?: (err: unknown) => void; onOpen?: () => void }) {
  let lastId: string | undefined;
  while (!options.signal.aborted) {
    try {
      const res = await api.raw(path, { headers: { accept: 'text/event-stream', ...(lastId ? { 'last-event-id': lastId } : {}) }, signal: options.signal });
      if (!res.ok || !res.body) {
        await api.unwrap(res);
        return;
      }
      options.onOpen?.();
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value.replace(/\r\n?/g, '\n');
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          end = buffer.indexOf('\n\n');
          const event: SseEvent = { id: undefined, event: 'message', data: '' };
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line === '' || line.startsWith(':')) continue;
            const colon = line.indexOf(':');
            const field = colon < 0 ? line : line.slice(0, colon);
            const v = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
            if (field === 'data') data.push(v);
            else if (field === 'event') event.event = v;
            else if (field === 'id') event.id = v;
          }
          if (event.id) lastId = event.id;
          if (data.length > 0 || event.event !== 'message') onEvent({ ...event, data: data.join('\n') });
        }
      }
    } catch (err) {
      if (options.signal.aborted) return;
      if ((err as { status?: number }).status !== undefined && (err as { status: number }).status > 0) {
        options.onError?.(err);
        return;
      }
    }
    if (!options.signal.aborted) await new Promise((r) => setTimeout(r, 2000));
  }
}
