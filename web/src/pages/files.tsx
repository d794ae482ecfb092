import { useEffect, useRef, useState, type DragEvent } from 'react';
import { accessToken, api, ApiError, asApiError } from '../api.ts';
import type { Schemas } from '../../../src/client/index.ts';
import { refreshSession, useUser } from '../auth.ts';
import { useAction } from '../hooks.ts';
import { Button, Card, ConfirmButton, Empty, ErrorNotice, Field, Form, PageTitle, formatBytes, formatDate } from '../ui.tsx';

export type FileMeta = Schemas['File'];

/** The API has no "my files" list yet: the files uploaded from this browser are remembered here. */
const storeKey = (userId: string) => `basalt.files.${userId}`;
export function rememberedFiles(userId: string): FileMeta[] {
  try {
    return JSON.parse(localStorage.getItem(storeKey(userId)) ?? '[]') as FileMeta[];
  } catch {
    return [];
  }
}
function remember(userId: string, files: FileMeta[]) {
  localStorage.setItem(storeKey(userId), JSON.stringify(files.slice(0, 200)));
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

export function FilesPage() {
  const user = useUser();
  const [files, setFiles] = useState<FileMeta[]>(() => (user ? rememberedFiles(user.id) : []));
  const [uploads, setUploads] = useState<Upload[]>([]);
  const [dragging, setDragging] = useState(false);
  const [lookupId, setLookupId] = useState('');
  const input = useRef<HTMLInputElement | null>(null);
  const del = useAction(async (id: string) => {
    await api.delete('/v1/files/{id}', { params: { id } });
    setFiles((list) => list.filter((f) => f.id !== id));
  });
  const lookup = useAction(async () => {
    const f = await api.get('/v1/files/{id}', { params: { id: lookupId.trim() } });
    setFiles((list) => [f, ...list.filter((x) => x.id !== f.id)]);
  });
  const download = useAction(downloadFile);
  useEffect(() => {
    if (user) remember(user.id, files);
  }, [files, user]);

  const start = (list: FileList | null) => {
    for (const file of Array.from(list ?? [])) {
      const key = `${file.name}:${Date.now()}:${Math.random()}`;
      setUploads((u) => [{ key, name: file.name, size: file.size, progress: 0 }, ...u]);
      const set = (patch: Partial<Upload>) => setUploads((u) => u.map((x) => (x.key === key ? { ...x, ...patch } : x)));
      upload(file, (progress) => set({ progress })).then(
        (meta) => {
          setUploads((u) => u.filter((x) => x.key !== key));
          setFiles((f) => [meta, ...f]);
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
        <ErrorNotice error={del.error ?? download.error} />
        {files.length === 0 && <Empty>No files uploaded from this browser yet.</Empty>}
        <ul className="list files">
          {files.map((f) => (
            <li key={f.id} className="row-between wrap" data-testid={`file-${f.name}`}>
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
                <Button variant="secondary" onClick={() => void download.run(f)}>
                  Download
                </Button>
                <ConfirmButton busy={del.busy} onConfirm={() => void del.run(f.id)}>
                  Delete
                </ConfirmButton>
              </div>
            </li>
          ))}
        </ul>
      </Card>
      <Card title="Find a file by id">
        <Form onSubmit={() => void lookup.run()} submitLabel="Look up" busy={lookup.busy} error={lookup.error}>
          <Field label="File id" name="fileId" value={lookupId} onChange={(e) => setLookupId(e.target.value)} />
        </Form>
      </Card>
    </div>
  );
}
