import { useEffect, useRef, useState, type DragEvent } from 'react';
import { accessToken, api, ApiError, asApiError } from '../api.ts';
import type { Schemas } from '../../../src/client/index.ts';
import { refreshSession } from '../auth.ts';
import { useAction, useAsync, usePaged } from '../hooks.ts';
import { Button, Card, ConfirmButton, Empty, ErrorNotice, Field, Form, Loading, PageTitle, formatBytes, formatDate } from '../ui.tsx';

export type FileMeta = Schemas['File'];

/** My most recent uploads (GET /v1/files), for pickers such as a post's attachments. */
export function useRecentFiles(limit = 20) {
  return useAsync(async (signal) => (await api.page('/v1/files', { query: { limit }, signal })).data, [limit]);
}

/** multipart upload with progress (fetch cannot report upload progress; XHR can). */
function uploadOnce(file: File, onProgress: (fraction: number) => void): Promise<FileMeta> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/v1/files');
    const token = accessToken();
    if (token) xhr.setRequestHeader('authorization', `Bearer ${token}`);
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onerror = () => reject(new ApiError({ status: 0, code: 'client:network_error', type: 'SERVICE_UNAVAILABLE', message: 'The upload failed: the server could not be reached' }));
    xhr.onload = () => {
      void api.unwrap<FileMeta>(new Response(xhr.responseText, { status: xhr.status, headers: { 'content-type': 'application/json' } })).then(resolve, reject);
    };
    const body = new FormData();
    body.append('file', file, file.name);
    xhr.send(body);
  });
}

async function upload(file: File, onProgress: (fraction: number) => void): Promise<FileMeta> {
  try {
    return await uploadOnce(file, onProgress);
  } catch (err) {
    if (err instanceof ApiError && err.code === 'user:token_expired' && (await refreshSession())) return uploadOnce(file, onProgress);
    throw err;
  }
}

/** Bytes need the access token, so links go through a blob URL. */
export async function downloadFile(f: Pick<FileMeta, 'id' | 'name'>) {
  const res = await api.raw(`/v1/files/${encodeURIComponent(f.id)}/content`);
  if (!res.ok) await api.unwrap(res);
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = f.name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 5000);
}

interface Upload {
  key: string;
  name: string;
  size: number;
  progress: number;
  error?: ApiError;
}

function Preview({ file }: { file: FileMeta }) {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    if (!file.contentType.startsWith('image/')) return;
    let revoked = false;
    let objectUrl: string | null = null;
    void api.raw(`/v1/files/${encodeURIComponent(file.id)}/content`).then(async (res) => {
      if (!res.ok || revoked) return;
      objectUrl = URL.createObjectURL(await res.blob());
      setUrl(objectUrl);
    });
    return () => {
      revoked = true;
      if (objectUrl) URL.revokeObjectURL(objectUrl);
    };
  }, [file.id, file.contentType]);
  return url ? <img className="thumb" src={url} alt={file.name} /> : <span className="thumb thumb-empty">{file.contentType.split('/')[1] ?? 'file'}</span>;
}

function FileRow({ file: f, onDownload, onDelete, deleting }: { file: FileMeta; onDownload: () => void; onDelete: () => void; deleting: boolean }) {
  return (
    <li className="row-between wrap" data-testid={`file-${f.name}`}>
      <div className="row">
        <Preview file={f} />
        <div>
          <strong>{f.name}</strong>
          <div className="muted small">
            {f.contentType} · {formatBytes(f.size)}
            {f.width && f.height ? ` · ${f.width}×${f.height}` : ''} · {formatDate(f.createdAt)}
          </div>
          <div className="muted small">
            id <code>{f.id}</code>
          </div>
        </div>
      </div>
      <div className="row">
        <Button variant="secondary" onClick={onDownload}>
          Download
        </Button>
        <ConfirmButton busy={deleting} onConfirm={onDelete}>
          Delete
        </ConfirmButton>
      </div>
    </li>
  );
}

export function FilesPage() {
  const list = usePaged((cursor, signal) => api.page('/v1/files', { query: { cursor, limit: 50 }, signal }), []);
  const usage = useAsync((signal) => api.get('/v1/me/storage', { signal }), []);
  const [found, setFound] = useState<FileMeta | null>(null);
  const [uploads, setUploads] = useState<Upload[]>([]);
  const [dragging, setDragging] = useState(false);
  const [lookupId, setLookupId] = useState('');
  const input = useRef<HTMLInputElement | null>(null);
  const refresh = () => {
    list.reload();
    usage.reload();
  };
  const del = useAction(async (id: string) => {
    await api.delete('/v1/files/{id}', { params: { id } });
    if (found?.id === id) setFound(null);
    refresh();
  });
  const lookup = useAction(async () => setFound(await api.get('/v1/files/{id}', { params: { id: lookupId.trim() } })));
  const download = useAction(downloadFile);

  const start = (list: FileList | null) => {
    for (const file of Array.from(list ?? [])) {
      const key = `${file.name}:${Date.now()}:${Math.random()}`;
      setUploads((u) => [{ key, name: file.name, size: file.size, progress: 0 }, ...u]);
      const set = (patch: Partial<Upload>) => setUploads((u) => u.map((x) => (x.key === key ? { ...x, ...patch } : x)));
      upload(file, (progress) => set({ progress })).then(
        () => {
          setUploads((u) => u.filter((x) => x.key !== key));
          refresh();
        },
        (err: unknown) => set({ error: asApiError(err) }),
      );
    }
  };
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    start(e.dataTransfer.files);
  };

  return (
    <div>
      <PageTitle subtitle="Upload by dropping files here; attach them to posts.">Files</PageTitle>
      <div
        className={dragging ? 'dropzone dragging' : 'dropzone'}
        data-testid="dropzone"
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
        onClick={() => input.current?.click()}
        role="button"
        tabIndex={0}
        onKeyDown={(e) => (e.key === 'Enter' || e.key === ' ') && input.current?.click()}
      >
        <strong>Drop files here</strong> or click to choose
        <input ref={input} type="file" multiple hidden name="file" aria-label="Choose files" onChange={(e) => start(e.target.files)} />
      </div>
      {uploads.length > 0 && (
        <Card title="Uploading">
          <ul className="list">
            {uploads.map((u) => (
              <li key={u.key}>
                {u.name} <span className="muted small">{formatBytes(u.size)}</span>
                {u.error ? <ErrorNotice error={u.error} title={`${u.name} was not uploaded`} /> : <progress max={1} value={u.progress} aria-label={`Uploading ${u.name}`} />}
              </li>
            ))}
          </ul>
        </Card>
      )}
      <Card title="Your files">
        {usage.data && (
          <p className="muted small" data-testid="storage-usage">
            {formatBytes(usage.data.usedBytes)} of {formatBytes(usage.data.quotaBytes)} used · files up to {formatBytes(usage.data.maxUploadBytes)} each
          </p>
        )}
        <ErrorNotice error={list.error ?? del.error ?? download.error} />
        {!list.loading && !list.error && list.items.length === 0 && <Empty>No files yet.</Empty>}
        <ul className="list files">
          {list.items.map((f) => (
            <FileRow key={f.id} file={f} onDownload={() => void download.run(f)} onDelete={() => void del.run(f.id)} deleting={del.busy} />
          ))}
        </ul>
        {list.loading && <Loading />}
        {list.hasMore && (
          <Button variant="secondary" onClick={list.loadMore}>
            Load more
          </Button>
        )}
      </Card>
      <Card title="Find a file by id">
        <Form onSubmit={() => void lookup.run()} submitLabel="Look up" busy={lookup.busy} error={lookup.error}>
          <Field label="File id" name="fileId" value={lookupId} onChange={(e) => setLookupId(e.target.value)} />
        </Form>
        {found && (
          <ul className="list files">
            <FileRow file={found} onDownload={() => void download.run(found)} onDelete={() => void del.run(found.id)} deleting={del.busy} />
          </ul>
        )}
      </Card>
    </div>
  );
}
