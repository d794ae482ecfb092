import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { filesUnder } from '../../src/ports/blob-store.contract.ts';
import { login, register, stacks, startAccountsApp, verifiedUser, type AccountsApp } from '../accounts/harness.ts';

// A 3×2 PNG header (signature + IHDR): enough for sniffing and dimensions.
const PNG = Buffer.concat([
  Buffer.from('89504e470d0a1a0a0000000d49484452000000030000000208060000009c7b9e77', 'hex'),
  Buffer.alloc(200, 7),
]);

function form(bytes: Buffer | string, name = 'photo.png', type = 'application/octet-stream', field = 'file'): FormData {
  const f = new FormData();
  f.append('note', 'hello');
  f.append(field, new Blob([bytes], { type }), name);
  return f;
}

describe.each(stacks())('files ($name)', (stack) => {
  let app: AccountsApp;
  const blobs = () => filesUnder(join(app.dataDir, 'blobs'));
  beforeAll(async () => {
    app = await startAccountsApp({ stack, env: { MAX_UPLOAD_BYTES: '4096', UPLOAD_QUOTA_BYTES: '9000' } });
  });
  afterAll(() => app.close());

  it('uploads (201): content type sniffed from the bytes, name sanitised, image size, sha256', async () => {
    const me = await verifiedUser(app);
    const res = await app.call('POST', '/v1/files', { token: me.accessToken, body: form(PNG, '../../etc/evil:name.png', 'text/html') });
    expect(res.status, res.text).toBe(201);
    expect(res.body.data).toMatchObject({ name: 'evilname.png', size: PNG.length, contentType: 'image/png', width: 3, height: 2 });
    expect(res.body.data.sha256).toMatch(/^[0-9a-f]{64}$/);
    const meta = await app.call('GET', `/v1/files/${res.body.data.id}`, { token: me.accessToken });
    expect(meta.body.data).toEqual(res.body.data);
  });

  it('serves the bytes with Content-Type, Content-Length, ETag, Range and 304', async () => {
    const me = await verifiedUser(app);
    const up = await app.call('POST', '/v1/files', { token: me.accessToken, body: form(PNG) });
    const path = `/v1/files/${up.body.data.id}/content`;
    const whole = await app.app.fetch(new Request(`http://basalt.test${path}`, { headers: { authorization: `Bearer ${me.accessToken}` } }));
    expect(whole.status).toBe(200);
    expect(whole.headers.get('content-type')).toBe('image/png');
    expect(whole.headers.get('content-length')).toBe(String(PNG.length));
    expect(whole.headers.get('content-disposition')).toMatch(/^inline; filename="photo.png"/);
    expect(whole.headers.get('x-content-type-options')).toBe('nosniff');
    expect(Buffer.from(await whole.arrayBuffer()).equals(PNG)).toBe(true);
    const etag = whole.headers.get('etag') as string;
    expect(etag).toBe(`"${up.body.data.sha256}"`);
    const part = await app.app.fetch(new Request(`http://basalt.test${path}`, { headers: { authorization: `Bearer ${me.accessToken}`, range: 'bytes=1-3' } }));
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 1-3/${PNG.length}`);
    expect(Buffer.from(await part.arrayBuffer()).toString('latin1')).toBe('PNG');
    const cached = await app.app.fetch(new Request(`http://basalt.test${path}`, { headers: { authorization: `Bearer ${me.accessToken}`, 'if-none-match': etag } }));
    expect(cached.status).toBe(304);
  });

  it('active content (HTML, SVG) is stored as text and served as an attachment', async () => {
    const me = await verifiedUser(app);
    for (const [bytes, name] of [['<html><script>alert(1)</script></html>', 'x.html'], ['<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', 'x.svg']] as const) {
      const up = await app.call('POST', '/v1/files', { token: me.accessToken, body: form(bytes, name, 'text/html') });
      expect(up.status).toBe(201);
      expect(up.body.data.contentType).not.toMatch(/html|svg/);
      const res = await app.app.fetch(new Request(`http://basalt.test/v1/files/${up.body.data.id}/content`, { headers: { authorization: `Bearer ${me.accessToken}` } }));
      expect(res.headers.get('content-disposition')).toMatch(/^attachment;/);
      expect(res.headers.get('content-type')).not.toMatch(/html|svg/);
    }
  });

  it.each([
    ['no `file` field', (): FormData | string => form('abc', 'a.txt', 'text/plain', 'other'), { 'x-test': '1' }, 400, 'file:not_found'],
    ['a JSON body', (): FormData | string => JSON.stringify({ file: 'abc' }), { 'content-type': 'application/json' }, 400, 'file:upload_error'],
    ['a malformed multipart body', (): FormData | string => '--xyz\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\nabc', { 'content-type': 'multipart/form-data; boundary=xyz' }, 400, 'file:upload_error'],
  ] as Array<[string, () => FormData | string, Record<string, string>, number, string]>)('refuses %s', async (_n, body, headers, status, code) => {
    const me = await verifiedUser(app);
    const res = await app.call('POST', '/v1/files', { token: me.accessToken, body: body(), headers: { ...headers } });
    expect(res.status).toBe(status);
    expect(res.body.error?.code).toBe(code);
  });

  it('a stream that fails mid-way → 400 file:read_error, nothing left behind', async () => {
    const me = await verifiedUser(app);
    const before = blobs().length;
    const enc = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(enc.encode('--b0\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\nContent-Type: application/octet-stream\r\n\r\n'));
        controller.enqueue(new Uint8Array(1000));
        setTimeout(() => controller.error(new Error('client went away')), 20);
      },
    });
    const res = await app.call('POST', '/v1/files', { token: me.accessToken, body, headers: { 'content-type': 'multipart/form-data; boundary=b0' } });
    expect(res.status).toBe(400);
    expect(res.body.error?.code).toBe('file:read_error');
    expect(blobs().length).toBe(before);
  });

  it('over MAX_UPLOAD_BYTES → 413 FILE_TOO_LARGE while streaming, nothing left behind', async () => {
    const me = await verifiedUser(app);
    const before = blobs().length;
    const res = await app.call('POST', '/v1/files', { token: me.accessToken, body: form(Buffer.alloc(5000, 1), 'big.bin') });
    expect(res.status).toBe(413);
    expect(res.body.error?.code).toBe('FILE_TOO_LARGE');
    expect(blobs().length).toBe(before);
  });

  it('the per-user quota → 413 FILE_TOO_LARGE with a clear message', async () => {
    const me = await verifiedUser(app);
    for (let i = 0; i < 2; i++) expect((await app.call('POST', '/v1/files', { token: me.accessToken, body: form(Buffer.alloc(4000, i), `f${i}.bin`) })).status).toBe(201);
    const res = await app.call('POST', '/v1/files', { token: me.accessToken, body: form(Buffer.alloc(2000, 9), 'f3.bin') });
    expect(res.status).toBe(413);
    expect(res.body.error).toMatchObject({ code: 'FILE_TOO_LARGE', message: expect.stringMatching(/quota/i) });
  });

  it('lists my own files newest first, page by page, and shows my quota use', async () => {
    const me = await verifiedUser(app);
    const other = await verifiedUser(app);
    expect((await app.call('GET', '/v1/me/storage', { token: me.accessToken })).body.data).toEqual({ usedBytes: 0, quotaBytes: 9000, maxUploadBytes: 4096 });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await app.call('POST', '/v1/files', { token: me.accessToken, body: form(Buffer.alloc(100 + i, i), `n${i}.bin`) })).body.data.id);
    expect((await app.call('POST', '/v1/files', { token: other.accessToken, body: form('theirs', 'theirs.txt') })).status).toBe(201);
    const first = await app.call('GET', '/v1/files?limit=2', { token: me.accessToken });
    expect(first.status).toBe(200);
    expect(first.body.data.map((f: { id: string }) => f.id)).toEqual([ids[2], ids[1]]);
    expect(first.body.meta.nextCursor).toBe(ids[1]);
    const second = await app.call('GET', `/v1/files?limit=2&cursor=${first.body.meta.nextCursor}`, { token: me.accessToken });
    expect(second.body.data.map((f: { id: string }) => f.id)).toEqual([ids[0]]);
    expect(second.body.meta.nextCursor).toBeNull();
    expect((await app.call('GET', '/v1/me/storage', { token: me.accessToken })).body.data.usedBytes).toBe(100 + 101 + 102);
    expect((await app.call('GET', '/v1/files?cursor=nope', { token: me.accessToken })).body.error).toMatchObject({ code: 'general:validation_error', details: [{ field: 'cursor' }] });
    expect((await app.call('GET', '/v1/files?limit=500', { token: me.accessToken })).status).toBe(400);
    expect((await app.call('GET', '/v1/files')).body.error?.code).toBe('user:unauthorized');
    expect((await app.call('GET', '/v1/me/storage')).body.error?.code).toBe('user:unauthorized');
  });

  it('needs a verified account to upload', async () => {
    const who = await register(app.call);
    const session = await login(app.call, who);
    const res = await app.call('POST', '/v1/files', { token: session.accessToken, body: form('x', 'a.txt') });
    expect(res.status).toBe(403);
    expect(res.body.error?.code).toBe('user:not_verified');
    expect((await app.call('POST', '/v1/files', { body: form('x', 'a.txt') })).body.error?.code).toBe('user:unauthorized');
  });

  describe('POST /v1/files/raw (the body is the file)', () => {
    it('uploads (201) with the same metadata as multipart: sniffed type, sanitised name, size, sha256, dimensions', async () => {
      const me = await verifiedUser(app);
      const res = await app.call('POST', `/v1/files/raw?name=${encodeURIComponent('../x/ré sumé:1.png')}`, { token: me.accessToken, body: PNG, headers: { 'content-type': 'text/html' } });
      expect(res.status, res.text).toBe(201);
      expect(res.body.data).toMatchObject({ name: 'ré sumé1.png', size: PNG.length, contentType: 'image/png', width: 3, height: 2, sha256: createHash('sha256').update(PNG).digest('hex') });
      const back = await app.app.fetch(new Request(`http://basalt.test/v1/files/${res.body.data.id}/content`, { headers: { authorization: `Bearer ${me.accessToken}` } }));
      expect(Buffer.from(await back.arrayBuffer()).equals(PNG)).toBe(true);
      const unnamed = await app.call('POST', '/v1/files/raw', { token: me.accessToken, body: 'plain words' });
      expect(unnamed.body.data).toMatchObject({ name: 'file', size: 11, contentType: 'text/plain; charset=utf-8' });
      const empty = await app.call('POST', '/v1/files/raw?name=empty.bin', { token: me.accessToken, body: new Uint8Array(0) });
      expect(empty.body.data).toMatchObject({ name: 'empty.bin', size: 0 });
    });

    it('over MAX_UPLOAD_BYTES → 413 FILE_TOO_LARGE (declared or streamed), nothing left behind', async () => {
      const me = await verifiedUser(app);
      const before = blobs().length;
      const declared = await app.call('POST', '/v1/files/raw?name=big.bin', { token: me.accessToken, body: Buffer.alloc(5000, 1) });
      expect(declared.status).toBe(413);
      expect(declared.body.error?.code).toBe('FILE_TOO_LARGE');
      // No length given: refused while streaming.
      const chunks = [Buffer.alloc(3000, 1), Buffer.alloc(3000, 2)];
      const streamed = new ReadableStream<Uint8Array>({
        pull(controller) {
          const next = chunks.shift();
          if (next) controller.enqueue(next);
          else controller.close();
        },
      });
      const res = await app.call('POST', '/v1/files/raw?name=big.bin', { token: me.accessToken, body: streamed });
      expect(res.status).toBe(413);
      expect(res.body.error?.code).toBe('FILE_TOO_LARGE');
      expect(blobs().length).toBe(before);
    });

    it('a body that fails mid-way → 400 file:read_error; unverified → 403; quota → 413', async () => {
      const me = await verifiedUser(app);
      const before = blobs().length;
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new Uint8Array(1000));
          setTimeout(() => controller.error(new Error('client went away')), 20);
        },
      });
      const res = await app.call('POST', '/v1/files/raw?name=a.bin', { token: me.accessToken, body });
      expect(res.status).toBe(400);
      expect(res.body.error?.code).toBe('file:read_error');
      expect(blobs().length).toBe(before);

      const who = await register(app.call);
      const session = await login(app.call, who);
      expect((await app.call('POST', '/v1/files/raw', { token: session.accessToken, body: 'x' })).body.error?.code).toBe('user:not_verified');

      for (let i = 0; i < 2; i++) expect((await app.call('POST', '/v1/files/raw', { token: me.accessToken, body: Buffer.alloc(4000, i) })).status).toBe(201);
      const over = await app.call('POST', '/v1/files/raw', { token: me.accessToken, body: Buffer.alloc(2000, 9) });
      expect(over.status).toBe(413);
      expect(over.body.error).toMatchObject({ code: 'FILE_TOO_LARGE', message: expect.stringMatching(/quota/i) });
    });
  });

  it('others cannot see or delete a file (file:not_found) until it is attached to a post they can read; the owner deletes it', async () => {
    const me = await verifiedUser(app);
    const other = await verifiedUser(app);
    const up = await app.call('POST', '/v1/files', { token: me.accessToken, body: form('attached text', 'note.txt') });
    const id = up.body.data.id;
    expect((await app.call('GET', `/v1/files/${id}`, { token: other.accessToken })).body.error?.code).toBe('file:not_found');
    expect((await app.call('GET', `/v1/files/${id}/content`, { token: other.accessToken })).body.error?.code).toBe('file:not_found');
    expect((await app.call('DELETE', `/v1/files/${id}`, { token: other.accessToken })).body.error?.code).toBe('file:not_found');
    const post = await app.call('POST', '/v1/posts', { token: me.accessToken, json: { body: 'see attachment', attachments: [id] } });
    expect(post.body.data.attachments).toEqual([expect.objectContaining({ id, name: 'note.txt', contentType: 'text/plain; charset=utf-8' })]);
    expect((await app.call('GET', `/v1/files/${id}`, { token: other.accessToken })).status).toBe(200);
    const before = blobs().length;
    expect((await app.call('DELETE', `/v1/files/${id}`, { token: me.accessToken })).status).toBe(200);
    expect(blobs().length).toBe(before - 1);
    expect((await app.call('GET', `/v1/files/${id}`, { token: me.accessToken })).body.error?.code).toBe('file:not_found');
    expect((await app.call('GET', '/v1/files/not-an-id', { token: me.accessToken })).body.error?.code).toBe('file:not_found');
  });
});
