import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MultipartError, MultipartParser, multipartBoundary, type PartInfo } from './multipart-parser.ts';

interface Parsed {
  parts: Array<PartInfo & { body: Buffer | null }>;
  done: boolean;
}

/** Runs the parser over `chunks`, accepting every part, and collects what it reported. */
function parse(boundary: string, chunks: Buffer[], accept: (p: PartInfo) => boolean = () => true): Parsed {
  const parts: Parsed['parts'] = [];
  let current: Buffer[] | null = null;
  const parser = new MultipartParser(boundary, {
    onPart: (p) => {
      const take = accept(p);
      parts.push({ ...p, body: null });
      current = take ? [] : null;
      return take;
    },
    onData: (chunk) => {
      if (!current) throw new Error('data for a part that was not accepted');
      current.push(Buffer.from(chunk));
    },
    onPartEnd: () => {
      const last = parts[parts.length - 1];
      if (!last || !current) throw new Error('end of a part that was not accepted');
      last.body = Buffer.concat(current);
      current = null;
    },
  });
  for (const c of chunks) parser.write(c);
  parser.end();
  return { parts, done: parser.done };
}

const B = 'XyZ-boundary-42';
function body(parts: Array<{ headers: string; data: Buffer | string }>, opts: { preamble?: string; epilogue?: string; boundary?: string } = {}): Buffer {
  const b = opts.boundary ?? B;
  const pieces: Buffer[] = [];
  if (opts.preamble !== undefined) pieces.push(Buffer.from(`${opts.preamble}\r\n`));
  for (const p of parts) {
    pieces.push(Buffer.from(`--${b}\r\n${p.headers}\r\n\r\n`), Buffer.from(p.data), Buffer.from('\r\n'));
  }
  pieces.push(Buffer.from(`--${b}--${opts.epilogue ?? '\r\n'}`));
  return Buffer.concat(pieces);
}

const fileHeaders = (name = 'file', filename = 'a.bin') => `Content-Disposition: form-data; name="${name}"; filename="${filename}"\r\nContent-Type: application/octet-stream`;

/** Awkward contents: near-misses of the delimiter, CRs and dashes at every position. */
const tricky = Buffer.concat([
  Buffer.from(`\r\n--XyZ-boundary-4\r\n-\r\r\n--\r\n--XyZ\r`),
  randomBytes(3000),
  Buffer.from(`x--${B}\r\n`), // not preceded by CRLF: content, not a delimiter
  Buffer.from('\r\n--XyZ-boundary-4'),
]);

describe('MultipartParser', () => {
  it('reads fields and a file; the body arrives exactly, whatever the split between two chunks', () => {
    const input = body([
      { headers: 'Content-Disposition: form-data; name="note"', data: 'hello' },
      { headers: fileHeaders(), data: tricky },
    ]);
    for (let cut = 0; cut <= input.length; cut++) {
      const out = parse(B, [input.subarray(0, cut), input.subarray(cut)]);
      expect(out.done).toBe(true);
      expect(out.parts.map((p) => [p.name, p.filename, p.contentType])).toEqual([
        ['note', undefined, ''],
        ['file', 'a.bin', 'application/octet-stream'],
      ]);
      expect(out.parts[1]?.body?.equals(tricky), `split at ${cut}`).toBe(true);
      expect(out.parts[0]?.body?.toString()).toBe('hello');
    }
  });

  it('one byte at a time, and in three pieces at every pair of cuts near the delimiters', () => {
    const input = body([{ headers: fileHeaders(), data: tricky }], { preamble: 'ignored preamble', epilogue: '\r\nignored epilogue' });
    const bytes = [...input].map((b) => Buffer.from([b]));
    expect(parse(B, bytes).parts[0]?.body?.equals(tricky)).toBe(true);
    const end = input.length;
    for (let a = end - 60; a < end; a += 3) {
      for (let b = a; b <= end; b += 5) {
        const out = parse(B, [input.subarray(0, a), input.subarray(a, b), input.subarray(b)]);
        expect(out.parts[0]?.body?.equals(tricky)).toBe(true);
      }
    }
  });

  it('ignores a preamble and an epilogue, and allows padding after a boundary', () => {
    const raw = Buffer.from(`preamble --${B} text\r\n--${B}  \t\r\nContent-Disposition: form-data; name="file"; filename="x"\r\n\r\nabc\r\n--${B}--\r\nepilogue --${B}\r\ngarbage`);
    const out = parse(B, [raw]);
    expect(out.parts).toHaveLength(1);
    expect(out.parts[0]?.body?.toString()).toBe('abc');
  });

  it('an empty file, and a part without headers (skipped)', () => {
    const raw = Buffer.from(`--${B}\r\n\r\nno headers\r\n--${B}\r\n${fileHeaders()}\r\n\r\n\r\n--${B}--`);
    const out = parse(B, [raw]);
    expect(out.parts).toHaveLength(1);
    expect(out.parts[0]?.body?.length).toBe(0);
  });

  it('a handler may take the memory of a chunk it is given whole (as the blob store does)', () => {
    const data = randomBytes(200_000);
    const form = body([{ headers: fileHeaders(), data }]);
    const head = form.indexOf(data);
    // Own memory for each chunk, as node:http gives them; the middle ones are all file data.
    const cuts = [0, head, head + 65_536, head + 131_072, head + 131_072 + 65_000, form.length];
    const chunks = cuts.slice(1).map((end, i) => Buffer.from(form.subarray(cuts[i], end)));
    const received: Buffer[] = [];
    const parser = new MultipartParser(B, {
      onPart: () => true,
      onData: (chunk) => {
        received.push(Buffer.from(chunk));
        // Moved away like a transfer to a worker: every view of the memory reads as empty after.
        if (chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength) structuredClone(chunk.buffer, { transfer: [chunk.buffer as ArrayBuffer] });
      },
      onPartEnd: () => {},
    });
    for (const c of chunks) parser.write(c);
    parser.end();
    expect(chunks.filter((c) => c.length === 0).length).toBeGreaterThan(0);
    expect(Buffer.concat(received).equals(data)).toBe(true);
  });

  it('only parts accepted by onPart get data', () => {
    const input = body([
      { headers: fileHeaders('other', 'o.bin'), data: 'skip me' },
      { headers: fileHeaders(), data: 'take me' },
      { headers: fileHeaders(), data: 'second file' },
    ]);
    const out = parse(B, [input], (p) => p.name === 'file' && p.filename !== undefined && !p.filename.startsWith('skip'));
    expect(out.parts.map((p) => p.body?.toString() ?? null)).toEqual([null, 'take me', 'second file']);
  });

  it('file names: path stripped, quotes unescaped, raw UTF-8, RFC 8187 filename* preferred', () => {
    const names = (disposition: string) => parse(B, [Buffer.from(`--${B}\r\nContent-Disposition: ${disposition}\r\n\r\nx\r\n--${B}--`)]).parts[0];
    expect(names('form-data; name="file"; filename="C:\\dir\\..\\evil.png"')?.filename).toBe('evil.png');
    expect(names('form-data; name="file"; filename="../../etc/passwd"')?.filename).toBe('passwd');
    expect(names('form-data; name="file"; filename="say \\"hi\\".txt"')?.filename).toBe('say "hi".txt');
    expect(names('form-data; name="file"; filename="résumé ✓.pdf"')?.filename).toBe('résumé ✓.pdf');
    expect(names(`form-data; name="file"; filename="fallback.txt"; filename*=UTF-8''%E2%9C%93%20ok.txt`)?.filename).toBe('✓ ok.txt');
    expect(names('FORM-DATA; NAME=file; filename=plain.txt')).toMatchObject({ name: 'file', filename: 'plain.txt' });
    expect(names('form-data; name="file"; filename=""')?.filename).toBe('');
    expect(names('form-data; name="file"')?.filename).toBeUndefined();
    expect(names('attachment; name="file"; filename="a"')).toBeUndefined();
  });

  it.each([
    ['no closing delimiter (truncated)', `--${B}\r\n${fileHeaders()}\r\n\r\nabc`],
    ['truncated inside the headers', `--${B}\r\nContent-Disposition: form-`],
    ['no delimiter at all', 'just some bytes'],
    ['an empty body', ''],
    ['junk right after a boundary', `--${B}junk\r\n${fileHeaders()}\r\n\r\nabc\r\n--${B}--`],
    ['a header line without a colon', `--${B}\r\nContent-Disposition form-data\r\n\r\nabc\r\n--${B}--`],
    ['headers over 16 KiB', `--${B}\r\nX-Big: ${'a'.repeat(17 * 1024)}\r\n\r\nabc\r\n--${B}--`],
    ['endless padding after a boundary', `--${B}${' '.repeat(300)}\r\n\r\nabc\r\n--${B}--`],
  ])('malformed: %s → MultipartError', (_name, raw) => {
    expect(() => parse(B, [Buffer.from(raw)])).toThrow(MultipartError);
    // Byte by byte too: the error must not depend on how the body was cut.
    expect(() => parse(B, [...Buffer.from(raw)].map((b) => Buffer.from([b])))).toThrow(MultipartError);
  });
});

describe('multipartBoundary', () => {
  it('reads the boundary of multipart/form-data only', () => {
    expect(multipartBoundary('multipart/form-data; boundary=abc')).toBe('abc');
    expect(multipartBoundary('Multipart/Form-Data; charset=utf-8; boundary="a b:c"')).toBe('a b:c');
    expect(multipartBoundary('multipart/form-data')).toBeUndefined();
    expect(multipartBoundary('multipart/mixed; boundary=abc')).toBeUndefined();
    expect(multipartBoundary('application/json')).toBeUndefined();
    expect(multipartBoundary(undefined)).toBeUndefined();
    expect(multipartBoundary(`multipart/form-data; boundary=${'a'.repeat(201)}`)).toBeUndefined();
  });
});
