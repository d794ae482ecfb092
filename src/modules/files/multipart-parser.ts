/**
 * A push parser for multipart/form-data (RFC 7578 / RFC 2046) that never buffers a part's
 * body: each chunk is scanned for the delimiter with `Buffer.indexOf` (native) and handed on
 * as a slice of the chunk, without copying. Only a part's header block (≤ 16 KiB) and, between
 * two chunks, a possible start of the delimiter (< its length) are held back.
 *
 * Replaces busboy for uploads: its JS boundary search cost ~0.7 s of CPU per GiB here, about a
 * third of the whole upload path.
 */

export class MultipartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MultipartError';
  }
}

export interface PartInfo {
  /** The `name` parameter of Content-Disposition (`''` when absent). */
  name: string;
  /** The file name without any path (`filename*` wins over `filename`); undefined for a plain field. */
  filename: string | undefined;
  /** The part's Content-Type, lower-cased, without parameters ('' when absent). */
  contentType: string;
}

export interface PartHandler {
  /** A part's headers were read; return true to receive its body through `onData`. */
  onPart(part: PartInfo): boolean;
  onData(chunk: Buffer): void;
  /** The body of the part `onPart` accepted is complete. */
  onPartEnd(): void;
}

const MAX_HEADER_BYTES = 16 * 1024;
const MAX_PADDING = 256;
const CR = 0x0d;
const LF = 0x0a;
const DASH = 0x2d;
const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');
const EMPTY = Buffer.alloc(0);

type State = 'preamble' | 'after-delimiter' | 'headers' | 'body' | 'done';

export class MultipartParser {
  private readonly delimiter: Buffer;
  private state: State = 'preamble';
  // A virtual CRLF before the body lets the first delimiter, which has none, match like every other.
  private carry: Buffer = CRLF;
  private receiving = false;

  constructor(
    boundary: string,
    private readonly handler: PartHandler,
  ) {
    this.delimiter = Buffer.from(`\r\n--${boundary}`, 'latin1');
  }

  /** True once the closing delimiter was read; the epilogue after it is ignored. */
  get done(): boolean {
    return this.state === 'done';
  }

  /** Feeds the next chunk of the body. Throws MultipartError for malformed input. */
  write(chunk: Buffer): void {
    if (this.state === 'done') return;
    const buf = this.carry.length > 0 ? Buffer.concat([this.carry, chunk]) : chunk;
    this.carry = EMPTY;
    let pos = 0;
    while (pos < buf.length || this.state === 'after-delimiter') {
      switch (this.state as State) {
        case 'preamble':
        case 'body':
          pos = this.scanBody(buf, pos);
          if (pos < 0) return;
          break;
        case 'after-delimiter':
          pos = this.afterDelimiter(buf, pos);
          if (pos < 0) return;
          break;
        case 'headers':
          pos = this.headers(buf, pos);
          if (pos < 0) return;
          break;
        case 'done':
          return;
      }
    }
  }

  /** The body ended: anything short of the closing delimiter is a truncated form. */
  end(): void {
    if (this.state !== 'done') throw new MultipartError('Unexpected end of form');
  }

  /** Body bytes up to the next delimiter go to the handler; returns where to go on, or -1 for "need more". */
  private scanBody(buf: Buffer, pos: number): number {
    const at = buf.indexOf(this.delimiter, pos);
    if (at >= 0) {
      if (this.state === 'body') {
        if (this.receiving) {
          if (at > pos) this.handler.onData(buf.subarray(pos, at));
          this.receiving = false;
          this.handler.onPartEnd();
        }
      }
      this.state = 'after-delimiter';
      return at + this.delimiter.length;
    }
    // No delimiter: everything goes, except a tail that may be the delimiter's beginning.
    const keep = this.partialDelimiterAt(buf, Math.max(pos, buf.length - this.delimiter.length + 1));
    // Set aside first: the handler may take the chunk's memory (blobs move whole chunks to the
    // digest thread), after which `buf` reads as empty.
    this.carry = keep < buf.length ? buf.subarray(keep) : EMPTY;
    if (this.receiving && keep > pos) this.handler.onData(buf.subarray(pos, keep));
    return -1;
  }

  /** The first index from `from` where the rest of `buf` is a prefix of the delimiter (else its length). */
  private partialDelimiterAt(buf: Buffer, from: number): number {
    for (let p = buf.indexOf(CR, from); p !== -1; p = buf.indexOf(CR, p + 1)) {
      if (buf.compare(this.delimiter, 0, buf.length - p, p) === 0) return p;
    }
    return buf.length;
  }

  /** After a delimiter: `--` closes the form; otherwise optional padding, then CRLF and a part's headers. */
  private afterDelimiter(buf: Buffer, pos: number): number {
    let p = pos;
    while (p < buf.length && (buf[p] === 0x20 || buf[p] === 0x09) && p - pos < MAX_PADDING) p++;
    if (p - pos >= MAX_PADDING) throw new MultipartError('Malformed boundary line');
    if (p + 2 > buf.length) {
      this.carry = buf.subarray(pos);
      return -1;
    }
    if (p === pos && buf[p] === DASH && buf[p + 1] === DASH) {
      this.state = 'done';
      return buf.length;
    }
    if (buf[p] !== CR || buf[p + 1] !== LF) throw new MultipartError('Malformed boundary line');
    this.state = 'headers';
    return p + 2;
  }

  private headers(buf: Buffer, pos: number): number {
    // No header lines at all: the blank line follows the boundary line directly.
    const end = buf[pos] === CR && buf[pos + 1] === LF ? pos : buf.indexOf(HEADER_END, pos);
    if (end < 0 || (end === pos && pos + 2 > buf.length)) {
      if (buf.length - pos > MAX_HEADER_BYTES) throw new MultipartError('Part headers too large');
      this.carry = buf.subarray(pos);
      return -1;
    }
    if (end - pos > MAX_HEADER_BYTES) throw new MultipartError('Part headers too large');
    const info = parsePartHeaders(buf.toString('utf8', pos, end));
    this.state = 'body';
    this.receiving = info !== undefined && this.handler.onPart(info);
    return end === pos ? pos + 2 : end + 4;
  }
}

/** Reads Content-Disposition and Content-Type; undefined when the part is not form-data (it is skipped). */
function parsePartHeaders(block: string): PartInfo | undefined {
  let disposition: string | undefined;
  let contentType = '';
  for (const line of block.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) {
      if (line.length > 0) throw new MultipartError('Malformed part header');
      continue;
    }
    const key = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (key === 'content-disposition' && disposition === undefined) disposition = value;
    else if (key === 'content-type' && contentType === '') contentType = (value.split(';')[0] ?? '').trim().toLowerCase();
  }
  if (disposition === undefined) return undefined;
  const { type, params } = parseHeaderParams(disposition);
  if (type !== 'form-data') return undefined;
  const extended = params.get('filename*');
  const raw = extended !== undefined ? decodeExtValue(extended) : params.get('filename');
  return { name: params.get('name') ?? '', filename: raw === undefined ? undefined : basename(raw), contentType };
}

/** `type; key=value; key="quoted \" value"` → the lower-cased type and the parameters (first wins). */
export function parseHeaderParams(value: string): { type: string; params: Map<string, string> } {
  const params = new Map<string, string>();
  const semi = value.indexOf(';');
  const type = (semi < 0 ? value : value.slice(0, semi)).trim().toLowerCase();
  let i = semi < 0 ? value.length : semi + 1;
  while (i < value.length) {
    while (i < value.length && (value[i] === ' ' || value[i] === '\t' || value[i] === ';')) i++;
    const eq = value.indexOf('=', i);
    if (eq < 0) break;
    const key = value.slice(i, eq).trim().toLowerCase();
    let v = '';
    i = eq + 1;
    while (i < value.length && (value[i] === ' ' || value[i] === '\t')) i++;
    if (value[i] === '"') {
      i++;
      while (i < value.length && value[i] !== '"') {
        // Only `\"` and `\\` are escapes: old browsers send Windows paths with bare backslashes.
        if (value[i] === '\\' && (value[i + 1] === '"' || value[i + 1] === '\\')) i++;
        v += value[i];
        i++;
      }
      i++;
    } else {
      const next = value.indexOf(';', i);
      const stop = next < 0 ? value.length : next;
      v = value.slice(i, stop).trim();
      i = stop;
    }
    if (key && !params.has(key)) params.set(key, v);
  }
  return { type, params };
}

/** RFC 8187 `charset'lang'percent-encoded`; UTF-8 and ISO-8859-1, anything else as sent. */
function decodeExtValue(value: string): string | undefined {
  const m = /^([^']*)'[^']*'(.*)$/.exec(value);
  if (!m) return undefined;
  const charset = (m[1] ?? '').toLowerCase();
  const bytes = Buffer.from((m[2] ?? '').replace(/%([0-9a-fA-F]{2})|[\s\S]/g, (s, hex: string | undefined) => (hex ? String.fromCharCode(Number.parseInt(hex, 16)) : s)), 'latin1');
  return charset === 'iso-8859-1' || charset === 'latin1' ? bytes.toString('latin1') : bytes.toString('utf8');
}

/** The last path segment, as browsers and busboy do for `C:\dir\name` or `../name`. */
function basename(path: string): string {
  const cut = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  const base = cut < 0 ? path : path.slice(cut + 1);
  return base === '.' || base === '..' ? '' : base;
}

/** The boundary of a `multipart/form-data` Content-Type, or undefined if it is anything else. */
export function multipartBoundary(contentType: string | undefined): string | undefined {
  if (!contentType) return undefined;
  const { type, params } = parseHeaderParams(contentType);
  const boundary = params.get('boundary');
  // RFC 2046 allows 70 characters; some clients send a little more, nothing needs hundreds.
  if (type !== 'multipart/form-data' || !boundary || boundary.length > 200) return undefined;
  return boundary;
}
