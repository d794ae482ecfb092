import { useEffect, useMemo, useRef, useState } from 'react';
import { api, asApiError, type ApiError } from '../api.ts';
import type { Schemas } from '../../../src/client/index.ts';
import { useAsync, usePaged } from '../hooks.ts';
import { Link } from '../router.tsx';
import { subscribe } from '../sse.ts';
import { Badge, Button, Card, Empty, ErrorNotice, Loading, PageTitle, Select } from '../ui.tsx';
import { Histogram } from './histogram.tsx';

type Entry = Schemas['LogEntry'];
type Source = 'd1' | 'kv';
const RANGES = { '15m': 15 * 60_000, '1h': 3600_000, '6h': 6 * 3600_000, '24h': 24 * 3600_000, '7d': 7 * 24 * 3600_000 } as const;
type RangeKey = keyof typeof RANGES | 'custom';
const LEVELS = ['', 'trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;

interface Filters {
  range: RangeKey;
  custom: { from: string; to: string } | null;
  level: string;
  q: string;
  fields: { key: string; value: string }[];
  source: Source;
}

/** The filters as query parameters: `service`, `traceId` and `attr.<path>` fields. */
function params(f: Filters, now: number) {
  const extra: Record<string, string> = {};
  let service: string | undefined;
  let traceId: string | undefined;
  for (const { key, value } of f.fields) {
    if (key === 'service') service = value;
    else if (key === 'traceId') traceId = value;
    else extra[key.startsWith('attr.') ? key : `attr.${key}`] = value;
  }
  const from = f.range === 'custom' ? f.custom?.from : new Date(now - RANGES[f.range]).toISOString();
  const to = f.range === 'custom' ? f.custom?.to : new Date(now).toISOString();
  const base = { source: f.source, from, level: f.level || undefined, q: f.q.trim() || undefined, service, traceId };
  return { base, to, extra };
}

/** `attr.*` parameters are not in the OpenAPI document (any key goes): added to the typed ones. */
const withAttributes = <T extends object>(query: T, extra: Record<string, string>): T => ({ ...query, ...extra });

function queryString(values: Record<string, string | undefined>): string {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) if (v) s.set(k, v);
  return s.toString();
}

function EntryRow({ entry, fresh, onFilter }: { entry: Entry; fresh: boolean; onFilter: (key: string, value: string) => void }) {
  const [open, setOpen] = useState(false);
  return (
    <li className={fresh ? 'log-entry fresh' : 'log-entry'} data-testid="log-entry">
      <button type="button" className="log-line" onClick={() => setOpen(!open)} aria-expanded={open}>
        <time className="log-time">{new Date(entry.timestamp).toLocaleString()}</time>
        <span className={`lvl lvl-${entry.level}`}>{entry.level}</span>
        {entry.service && <span className="log-service">{entry.service}</span>}
        <span className="log-message">{entry.message}</span>
      </button>
      {open && (
        <div className="log-details">
          <dl>
            <dt>id</dt>
            <dd>
              <code>{entry.id}</code>
            </dd>
            <dt>received</dt>
            <dd>{new Date(entry.receivedAt).toLocaleString()}</dd>
            {entry.service && (
              <>
                <dt>service</dt>
                <dd>
                  <button type="button" className="link" onClick={() => onFilter('service', entry.service ?? '')}>
                    {entry.service}
                  </button>
                </dd>
              </>
            )}
            {entry.traceId && (
              <>
                <dt>trace</dt>
                <dd>
                  <button type="button" className="link" onClick={() => onFilter('traceId', entry.traceId ?? '')}>
                    {entry.traceId}
                  </button>
                </dd>
              </>
            )}
          </dl>
          {entry.attributes && <pre className="log-attributes">{JSON.stringify(entry.attributes, null, 2)}</pre>}
        </div>
      )}
    </li>
  );
}

/** New entries as the writer stores them, for as long as `on` stays true. */
function useTail(path: string, on: boolean, onEntries: (e: Entry[]) => void) {
  const [state, setState] = useState<{ connected: boolean; error: ApiError | undefined }>({ connected: false, error: undefined });
  const cb = useRef(onEntries);
  cb.current = onEntries;
  useEffect(() => {
    if (!on) return;
    const controller = new AbortController();
    setState({ connected: false, error: undefined });
    void subscribe(
      path,
      (e) => {
        if (e.event === 'ready') setState({ connected: true, error: undefined });
        else if (e.event === 'log') cb.current([JSON.parse(e.data) as Entry]);
      },
      { signal: controller.signal, onError: (err) => setState({ connected: false, error: asApiError(err) }) },
    );
    return () => {
      controller.abort();
      setState({ connected: false, error: undefined });
    };
  }, [path, on]);
  return state;
}

export function LogsPage({ slug, id }: { slug: string; id: string }) {
  const project = useAsync(() => api.get('/v1/projects/{id}', { params: { id } }), [id]);
  const [draftQ, setDraftQ] = useState('');
  const [draftField, setDraftField] = useState('');
  const [filters, setFilters] = useState<Filters>({ range: '24h', custom: null, level: '', q: '', fields: [], source: 'd1' });
  const [now, setNow] = useState(() => Date.now());
  const [live, setLive] = useState(false);
  const [tailed, setTailed] = useState<Entry[]>([]);
  const { base, to, extra } = useMemo(() => params(filters, now), [filters, now]);
  const key = JSON.stringify([filters, now]);

  const list = usePaged((cursor, signal) => api.page('/v1/projects/{id}/logs', { params: { id }, query: withAttributes({ ...base, to, cursor, limit: 100 }, extra), signal }), [id, key]);
  const histogram = useAsync((signal) => api.get('/v1/projects/{id}/logs/histogram', { params: { id }, query: withAttributes({ ...base, to }, extra), signal }), [id, key]);
  const tailPath = `/v1/projects/${encodeURIComponent(id)}/logs/tail?${queryString({ level: base.level, q: base.q, service: base.service, traceId: base.traceId, ...extra })}`;
  const tail = useTail(tailPath, live, (entries) => setTailed((prev) => [...entries.reverse(), ...prev].slice(0, 1000)));
  useEffect(() => setTailed([]), [tailPath, live]);

  // Infinite scroll: the next page when the end of the list comes into view.
  const sentinel = useRef<HTMLDivElement | null>(null);
  const loadMore = useRef(list.loadMore);
  loadMore.current = list.loadMore;
  useEffect(() => {
    const el = sentinel.current;
    if (!el) return;
    const observer = new IntersectionObserver((items) => {
      if (items.some((i) => i.isIntersecting)) loadMore.current();
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  // The observer only reports changes: a page too short to push the end out of view asks again.
  useEffect(() => {
    const el = sentinel.current;
    if (el && !list.loading && list.hasMore && el.getBoundingClientRect().top < window.innerHeight) list.loadMore();
  }, [list.loading, list.hasMore, list.items.length]);

  // Any change runs the query again, with the text as typed so far.
  const update = (patch: Partial<Filters>) => {
    setFilters((f) => ({ ...f, q: draftQ, ...patch }));
    setNow(Date.now());
  };
  const addField = (k: string, value: string) => update({ fields: [...filters.fields.filter((f) => f.key !== k), { key: k, value }] });
  const seen = new Set(tailed.map((e) => e.id));
  const entries = [...tailed, ...list.items.filter((e) => !seen.has(e.id))];
  const error: ApiError | undefined = list.error ?? histogram.error ?? tail.error;

  return (
    <div>
      <PageTitle
        subtitle={
          <>
            <Link to={`/workspaces/${encodeURIComponent(slug)}/projects/${encodeURIComponent(id)}`}>{project.data?.name ?? 'Project'}</Link> · send entries to <code>POST /v1/logs</code> with a <code>logs:write</code> key
          </>
        }
      >
        Logs
      </PageTitle>
      <Card>
        <form
          className="log-filters"
          onSubmit={(e) => {
            e.preventDefault();
            const eq = draftField.indexOf('=');
            if (eq > 0) {
              addField(draftField.slice(0, eq).trim(), draftField.slice(eq + 1).trim());
              setDraftField('');
            }
            update({ q: draftQ });
          }}
        >
          <Select label="Time range" name="range" value={filters.range} onChange={(e) => update({ range: e.target.value as RangeKey, custom: null })}>
            {Object.keys(RANGES).map((r) => (
              <option key={r} value={r}>
                Last {r}
              </option>
            ))}
            {filters.range === 'custom' && <option value="custom">Selected range</option>}
          </Select>
          <Select label="Level" name="level" value={filters.level} onChange={(e) => update({ level: e.target.value })}>
            {LEVELS.map((l) => (
              <option key={l} value={l}>
                {l === '' ? 'Any level' : `${l} and above`}
              </option>
            ))}
          </Select>
          <label className="field grow">
            <span className="field-label">Text</span>
            <input type="search" name="q" value={draftQ} onChange={(e) => setDraftQ(e.target.value)} placeholder="words in the message; time* for a prefix" />
          </label>
          <label className="field grow">
            <span className="field-label">Field filter</span>
            <input name="field" value={draftField} onChange={(e) => setDraftField(e.target.value)} placeholder="service=api, http.status=500" />
          </label>
          <div className="field">
            <span className="field-label">Source</span>
            <div className="segmented" role="group" aria-label="Source">
              {(['d1', 'kv'] as const).map((s) => (
                <button key={s} type="button" aria-pressed={filters.source === s} className={filters.source === s ? 'active' : ''} onClick={() => update({ source: s })} title={s === 'd1' ? 'The SQL store: everything retained' : 'The hot cache: the most recent entries, fastest'}>
                  {s}
                </button>
              ))}
            </div>
          </div>
          <div className="form-actions">
            <Button type="submit">Search</Button>
            <label className="check live-toggle">
              <input type="checkbox" name="live" checked={live} onChange={(e) => setLive(e.target.checked)} /> Live tail
              {live && <Badge tone={tail.connected ? 'good' : 'warn'}>{tail.connected ? 'live' : 'connecting…'}</Badge>}
            </label>
          </div>
        </form>
        {filters.fields.length > 0 && (
          <div className="chips">
            {filters.fields.map((f) => (
              <span key={f.key} className="chip">
                {f.key}={f.value}
                <button type="button" aria-label={`Remove ${f.key} filter`} onClick={() => update({ fields: filters.fields.filter((x) => x.key !== f.key) })}>
                  ×
                </button>
              </span>
            ))}
          </div>
        )}
        <ErrorNotice error={error} />
        {histogram.data && <Histogram data={histogram.data} onSelect={(from, toDate) => update({ range: 'custom', custom: { from: from.toISOString(), to: toDate.toISOString() } })} />}
      </Card>
      <Card title={`Entries${live ? ' (live)' : ''}`}>
        {!list.loading && !list.error && entries.length === 0 && <Empty>No entries match. Widen the time range, or send some with an API key.</Empty>}
        <ul className="log-list" data-testid="log-list">
          {entries.map((e) => (
            <EntryRow key={e.id} entry={e} fresh={seen.has(e.id)} onFilter={addField} />
          ))}
        </ul>
        {list.loading && <Loading label="Loading entries…" />}
        <div ref={sentinel} className="sentinel" />
        {!list.hasMore && !list.loading && entries.length > 0 && <p className="muted small">End of results.</p>}
      </Card>
    </div>
  );
}
