import { randomBytes } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../errors/index.ts';
import { readMultipartFile } from './multipart.ts';

const B = 'bnd-7';
const CT = `multipart/form-data; boundary=${B}`;
const part = (name: string, filename: string | null, data: Buffer | string) =>
  Buffer.concat([Buffer.from(`--${B}\r\nContent-Disposition: form-data; name="${name}"${filename === null ? '' : `; filename="${filename}"`}\r\n\r\n`), Buffer.from(data), Buffer.from('\r\n')]);
const close = Buffer.from(`--${B}--\r\n`);

async function codeOf(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  return err instanceof AppError ? err.code : `not an AppError: ${String(err)}`;
}

describe('readMultipartFile', () => {
  it('hands the first `file` part with a file name to onFile; fields and other parts are skipped', async () => {
    const data = randomBytes(300_000);
    const body = Buffer.concat([part('file', null, 'a field named file'), part('other', 'o.bin', 'other'), part('file', 'dir/a.bin', data), part('file', 'b.bin', 'second'), close]);
    const chunks = [];
    for (let i = 0; i < body.length; i += 7919) chunks.push(body.subarray(i, i + 7919));
    const got = await readMultipartFile(Readable.from(chunks), CT, async (f) => ({ name: f.filename, bytes: await buffer(f.stream) }));
    expect(got.name).toBe('a.bin');
    expect(got.bytes.equals(data)).toBe(true);
  });

  it('pauses the request while the file reader is slow: memory stays bounded', async () => {
    const source = new PassThrough({ highWaterMark: 64 * 1024 });
    const result = readMultipartFile(source, CT, async (f) => {
      await new Promise((r) => setTimeout(r, 50));
      let n = 0;
      for await (const c of f.stream) n += (c as Buffer).length;
      return n;
    });
    source.write(Buffer.from(`--${B}\r\nContent-Disposition: form-data; name="file"; filename="x"\r\n\r\n`));
    const chunk = Buffer.alloc(64 * 1024, 1);
    let accepted = 0;
    // Without backpressure every write would be accepted at once.
    for (let i = 0; i < 200; i++) if (source.write(chunk)) accepted++;
    expect(accepted).toBeLessThan(40);
    source.end(Buffer.from(`\r\n--${B}--`));
    expect(await result).toBe(200 * 64 * 1024);
  });

  it.each([
    ['not multipart', 'application/json', [Buffer.from('{}')], 'file:upload_error'],
    ['multipart without a boundary', 'multipart/form-data', [Buffer.from('x')], 'file:upload_error'],
    ['no `file` part', CT, [part('other', 'a.bin', 'x'), close], 'file:not_found'],
    ['a `file` field without a file name', CT, [part('file', null, 'x'), close], 'file:not_found'],
    ['a body that ends inside the file', CT, [part('file', 'a.bin', 'abc').subarray(0, -4)], 'file:upload_error'],
    ['a body that ends before any part', CT, [Buffer.from(`--${B}\r\nContent-Dispo`)], 'file:upload_error'],
    ['junk after the first boundary', CT, [Buffer.from(`--${B}??\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\nabc\r\n--${B}--`)], 'file:upload_error'],
  ] as Array<[string, string, Buffer[], string]>)('%s', async (_name, contentType, chunks, code) => {
    expect(await codeOf(readMultipartFile(Readable.from(chunks), contentType, async (f) => buffer(f.stream)))).toBe(code);
  });

  it('the request failing mid-file → file:read_error, after onFile has seen its stream fail', async () => {
    const source = new PassThrough();
    let fileFailed = false;
    const result = readMultipartFile(source, CT, async (f) => {
      try {
        return await buffer(f.stream);
      } catch (err) {
        fileFailed = true;
        throw err;
      }
    });
    source.write(part('file', 'a.bin', 'abc').subarray(0, -2));
    setTimeout(() => source.destroy(new Error('connection reset')), 10);
    expect(await codeOf(result)).toBe('file:read_error');
    expect(fileFailed).toBe(true);
  });

  it('an error from onFile passes through; junk after the file part no longer matters', async () => {
    const tooBig = new AppError('FILE_TOO_LARGE');
    expect(await codeOf(readMultipartFile(Readable.from([part('file', 'a.bin', 'abc'), close]), CT, async () => Promise.reject(tooBig)))).toBe('FILE_TOO_LARGE');
    const after = Buffer.concat([part('file', 'a.bin', 'abc'), Buffer.from(`--${B}\r\nbroken header\r\n\r\n`)]);
    const got = await readMultipartFile(Readable.from([after]), CT, async (f) => buffer(f.stream));
    expect(got.toString()).toBe('abc');
  });
});
