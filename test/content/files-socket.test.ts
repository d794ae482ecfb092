import { createHash, randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { filesUnder } from '../../src/ports/blob-store.contract.ts';
import { apiClient, type ApiCall } from '../helpers/http.ts';
import { stacks, startAccountsApp, verifiedUser, type AccountsApp } from '../accounts/harness.ts';

const MiB = 1024 * 1024;

function form(bytes: Buffer, name: string): FormData {
  const f = new FormData();
  f.append('file', new Blob([bytes]), name);
  return f;
}

// Uploads as `basalt serve` receives them: the multipart stream is read from the Node request
// itself (in-process app.fetch tests take the web-stream path instead). Bodies of several MB,
// far beyond one socket read, so a stalled stream would show.
describe.each(stacks())('file uploads over a real socket ($name)', (stack) => {
  let app: AccountsApp;
  let server: ServerType;
  let call: ApiCall;
  const blobs = () => filesUnder(join(app.dataDir, 'blobs'));
  beforeAll(async () => {
    app = await startAccountsApp({ stack, env: { MAX_UPLOAD_BYTES: String(8 * MiB), UPLOAD_QUOTA_BYTES: String(64 * MiB) } });
    server = await new Promise<ServerType>((resolve) => {
      const s = serve({ fetch: app.app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    });
    call = apiClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    await app.close();
  });

  it('streams a 5 MiB upload to the blob store (201, size and sha256 of the bytes) and serves it back', async () => {
    const me = await verifiedUser(app);
    const bytes = randomBytes(5 * MiB);
    const res = await call('POST', '/v1/files', { token: me.accessToken, body: form(bytes, 'five.bin') });
    expect(res.status, res.text).toBe(201);
    expect(res.body.data).toMatchObject({ size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), contentType: 'application/octet-stream' });
    const back = await call('GET', `/v1/files/${res.body.data.id}/content`, { token: me.accessToken });
    expect(back.status).toBe(200);
    expect(back.headers.get('content-length')).toBe(String(bytes.length));
  });

  it('stops an upload over MAX_UPLOAD_BYTES while it streams: 413 FILE_TOO_LARGE, nothing left behind', async () => {
    const me = await verifiedUser(app);
    const before = blobs().length;
    const res = await call('POST', '/v1/files', { token: me.accessToken, body: form(randomBytes(12 * MiB), 'twelve.bin') });
    expect(res.status).toBe(413);
    expect(res.body.error?.code).toBe('FILE_TOO_LARGE');
    expect(blobs().length).toBe(before);
  });

  it('POST /v1/files/raw streams the body itself (201, size and sha256), and stops one over the limit with 413', async () => {
    const me = await verifiedUser(app);
    const bytes = randomBytes(5 * MiB);
    const res = await call('POST', '/v1/files/raw?name=five.bin', { token: me.accessToken, body: bytes, headers: { 'content-type': 'application/octet-stream' } });
    expect(res.status, res.text).toBe(201);
    expect(res.body.data).toMatchObject({ name: 'five.bin', size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') });
    const before = blobs().length;
    // Streamed without a Content-Length, so the limit is hit while reading, not up front.
    const big = randomBytes(12 * MiB);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= big.length) return controller.close();
        controller.enqueue(big.subarray(sent, sent + MiB));
        sent += MiB;
      },
    });
    const over = await call('POST', '/v1/files/raw?name=twelve.bin', { token: me.accessToken, body });
    expect(over.status).toBe(413);
    expect(over.body.error?.code).toBe('FILE_TOO_LARGE');
    expect(blobs().length).toBe(before);
  });
});
