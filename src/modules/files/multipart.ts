import { Readable } from 'node:stream';
import { AppError } from '../../errors/index.ts';
import { MultipartError, MultipartParser, multipartBoundary } from './multipart-parser.ts';

// Up to 1 MiB queued between the parser and the blob store before the socket is paused (not
// 16 KiB): far fewer pause/resume cycles per upload, still a constant amount of memory.
const STREAM_HWM = 1024 * 1024;

export interface IncomingFile {
  stream: Readable;
  filename: string;
}

/**
 * Streams a multipart body to `onFile` for the field `file` (the first file part of that name;
 * other parts are skipped), without buffering it. Failures map to the file codes: not
 * multipart or malformed → file:upload_error; no `file` field → file:not_found; the request
 * stream failing → file:read_error. Errors thrown by `onFile` pass through. Settles once
 * `onFile` does: the rest of the body (other parts, epilogue) is not waited for.
 */
export function readMultipartFile<T>(source: Readable, contentType: string | undefined, onFile: (file: IncomingFile) => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const boundary = multipartBoundary(contentType);
    if (!boundary) {
      reject(new AppError('file:upload_error', { message: 'Expected a multipart/form-data body with a boundary' }));
      return;
    }
    let settled = false;
    let handling: Promise<T> | undefined;
    let file: Readable | undefined;
    let fileDone = false;
    const detach = () => {
      source.off('data', onData);
      source.off('end', onEnd);
      source.off('error', readError);
      source.off('aborted', onAborted);
    };
    const finish = (err: unknown, value?: T) => {
      if (settled) return;
      settled = true;
      detach();
      // Not read any further by us: Node's HTTP server discards the rest once the response ends.
      source.resume();
      if (err) reject(err);
      else resolve(value as T);
    };
    /** Fails the upload; an `onFile` in progress sees its stream fail and cleans up first. */
    const fail = (err: AppError) => {
      detach();
      // Trouble after the file's part: too late to matter, the result is `onFile`'s.
      if (fileDone) return;
      if (!handling) {
        finish(err);
        return;
      }
      file?.destroy(err);
      handling.then(
        () => finish(err),
        () => finish(err),
      );
    };
    const parser = new MultipartParser(boundary, {
      onPart: (part) => {
        if (handling || part.name !== 'file' || part.filename === undefined) return false;
        const stream = new Readable({ highWaterMark: STREAM_HWM, read: () => source.resume() });
        // Failed before its reader listens (a short malformed body): kept on `errored` for it.
        stream.on('error', () => {});
        file = stream;
        handling = onFile({ stream, filename: part.filename });
        handling.then(
          (v) => finish(null, v),
          // The part's stream failing is the parser's error (a truncated or malformed body).
          (err: unknown) => finish(err instanceof AppError ? err : new AppError('file:upload_error', { cause: err, message: 'Malformed multipart body' })),
        );
        return true;
      },
      onData: (chunk) => {
        if (file && !file.push(chunk)) source.pause();
      },
      onPartEnd: () => {
        file?.push(null);
        fileDone = true;
        // The file is complete: whatever follows cannot fail it any more, so it is not parsed.
        detach();
        source.resume();
      },
    });
    function onData(chunk: Buffer) {
      try {
        parser.write(chunk);
      } catch (cause) {
        if (!(cause instanceof MultipartError)) throw cause;
        fail(new AppError('file:upload_error', { cause, message: `Malformed multipart body: ${cause.message}` }));
      }
    }
    function onEnd() {
      try {
        parser.end();
        if (!handling) finish(new AppError('file:not_found', { message: 'No file in the `file` field', details: [{ field: 'file', issue: 'required' }] }));
      } catch (cause) {
        fail(new AppError('file:upload_error', { cause, message: 'Malformed multipart body: it ended early' }));
      }
    }
    function readError(cause?: unknown) {
      fail(new AppError('file:read_error', { cause, message: 'The upload stream failed before it ended' }));
    }
    function onAborted() {
      readError(new Error('request aborted'));
    }
    // An error before we got here (the body failed while the caller was checking quotas).
    if (source.errored) {
      readError(source.errored);
      return;
    }
    source.on('data', onData);
    source.on('end', onEnd);
    source.on('error', readError);
    source.on('aborted', onAborted);
  });
}
