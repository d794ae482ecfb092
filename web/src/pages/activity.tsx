import { useEffect, useState } from 'react';
import { asApiError, type ApiError } from '../api.ts';
import { subscribe } from '../sse.ts';
import { Badge, Card, Empty, ErrorNotice } from '../ui.tsx';

interface ActivityEvent {
  id: string;
  type: string;
  data: Record<string, unknown>;
  occurredAt: string;
}

/** A one-line summary of an event's payload: its most telling fields. */
function summary(data: Record<string, unknown>): string {
  return ['handle', 'title', 'name', 'slug', 'email', 'role']
    .filter((k) => typeof data[k] === 'string' || typeof data[k] === 'number')
    .map((k) => `${k} ${String(data[k])}`)
    .join(' · ');
}

/** The caller's live events (GET /v1/events, Server-Sent Events), newest first. */
export function ActivityCard() {
  const [events, setEvents] = useState<ActivityEvent[]>([]);
  const [connected, setConnected] = useState(false);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  useEffect(() => {
    const controller = new AbortController();
    void subscribe(
      '/v1/events',
      (e) => {
        if (e.event === 'ready') return setConnected(true);
        try {
          const event = JSON.parse(e.data) as ActivityEvent;
          setEvents((list) => [event, ...list.filter((x) => x.id !== event.id)].slice(0, 20));
        } catch {
          // not an event payload (a comment or a future field): ignored
        }
      },
      { signal: controller.signal, onError: (err) => setError(asApiError(err)), onOpen: () => setError(undefined) },
    );
    return () => controller.abort();
  }, []);
  return (
    <Card title="Live activity" actions={<Badge tone={connected ? 'good' : 'warn'}>{connected ? 'live' : 'connecting…'}</Badge>}>
      <ErrorNotice error={error} />
      {events.length === 0 && <Empty>Events about you and your workspaces appear here as they happen.</Empty>}
      <ul className="list" data-testid="activity">
        {events.map((e) => (
          <li key={e.id}>
            <code>{e.type}</code> <span className="muted small">{new Date(e.occurredAt).toLocaleTimeString()}</span>
            {summary(e.data) && <div className="small">{summary(e.data)}</div>}
          </li>
        ))}
      </ul>
    </Card>
  );
}
