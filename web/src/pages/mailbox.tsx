import { useEffect, useState, type ReactNode } from 'react';
import { api } from '../api.ts';
import { config } from '../config.ts';
import { useAsync } from '../hooks.ts';
import { navigate } from '../router.tsx';
import { Button, Card, Empty, ErrorNotice, Loading, Notice, PageTitle, formatDate } from '../ui.tsx';

/** Mail text with its links clickable; links to this console open in place. */
function LinkedText({ text }: { text: string }) {
  const parts: ReactNode[] = [];
  const re = /https?:\/\/[^\s<>"')]+/g;
  let last = 0;
  for (const m of text.matchAll(re)) {
    parts.push(text.slice(last, m.index));
    const href = m[0];
    const url = new URL(href);
    const local = url.origin === location.origin;
    parts.push(
      <a
        key={m.index}
        href={href}
        onClick={(e) => {
          if (!local) return;
          e.preventDefault();
          navigate(url.pathname + url.search + url.hash);
        }}
      >
        {href}
      </a>,
    );
    last = (m.index ?? 0) + href.length;
  }
  parts.push(text.slice(last));
  return <pre className="mail-text">{parts}</pre>;
}

function Message({ id }: { id: string }) {
  const message = useAsync(() => api.get('/dev/mailbox/{id}', { params: { id } }), [id]);
  if (message.loading) return <Loading />;
  if (message.error || !message.data) return <ErrorNotice error={message.error} />;
  const m = message.data;
  return (
    <div data-testid="mail-message">
      <h3>{m.subject}</h3>
      <div className="muted small">
        To {m.to} · from {m.from} · {formatDate(m.createdAt)} · template <code>{m.template}</code>
      </div>
      <LinkedText text={m.text} />
    </div>
  );
}

/** The development mailbox (GET /dev/mailbox): mail the outbox transport kept, newest first. */
export function MailboxPage() {
  const [selected, setSelected] = useState<string | null>(null);
  const list = useAsync(() => api.get('/dev/mailbox', { query: { limit: 50 } }), []);
  useEffect(() => {
    // New mail shows up without a reload: flows wait for it here.
    const t = setInterval(list.reload, 2000);
    return () => clearInterval(t);
  }, [list.reload]);
  if (!config.devMailbox) return <Notice kind="warning">The mailbox exists only when the server runs with NODE_ENV=development.</Notice>;
  return (
    <div>
      <PageTitle subtitle="Development only: what the server would have e-mailed." actions={<Button variant="secondary" onClick={list.reload}>Refresh</Button>}>
        Mailbox
      </PageTitle>
      <div className="mailbox">
        <Card title="Messages">
          {list.loading && !list.data && <Loading />}
          <ErrorNotice error={list.error} />
          {list.data?.length === 0 && <Empty>No mail yet.</Empty>}
          <ul className="list mail-list">
            {list.data?.map((m) => (
              <li key={m.id}>
                <button type="button" className={selected === m.id ? 'mail-item active' : 'mail-item'} onClick={() => setSelected(m.id)} data-testid="mail-item">
                  <strong>{m.subject}</strong>
                  <span className="muted small">
                    {m.to} · {formatDate(m.createdAt)}
                  </span>
                </button>
              </li>
            ))}
          </ul>
        </Card>
        <Card title="Message">{selected ? <Message id={selected} /> : <Empty>Choose a message.</Empty>}</Card>
      </div>
    </div>
  );
}
