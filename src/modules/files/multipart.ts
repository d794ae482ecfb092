import type { Readable } from 'node:stream';
import busboy from 'busboy';
import { AppError } from '../../errors/index.ts';

// Buffers of up to 1 MiB between socket, parser and file (not 16 KiB): far fewer pause/resume
// cycles and writes per upload, still a constant amount of memory per upload.
const STREAM_HWM = 1024 * 1024;

export interface IncomingFile {
  stream: Readable;
  filename: string;
}

/**
 * Streams a multipart body to `onFile` for the field `file` (the first one; others are
 * drained), without buffering it. Failures map to the file codes: malformed multipart →
 * file:upload_error; no `file` field → file:not_found; the request stream failing →
 * file:read_error. Errors thrown by `onFile` pass through.
 */
export function readMultipartFile<T>(source: Readable, contentType: string | undefined, onFile: (file: IncomingFile) => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    let handling: Promise<T> | undefined;
    const finish = (err: unknown, value?: T) => {
      if (settled) return;
      settled = true;
      source.unpipe();
      if (err) reject(err);
      else resolve(value as T);
    };
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: { 'content-type': contentType ?? '' }, highWaterMark: STREAM_HWM, fileHwm: STREAM_HWM, limits: { files: 1, fields: 20, parts: 30, fieldSize: 64 * 1024 } });
    } catch (cause) {
      finish(new AppError('file:upload_error', { cause, message: 'Expected a multipart/form-data body' }));
      return;
    }
    parser.on('file', (name, stream, info) => {
      if (name !== 'file' || handling) {
        stream.resume();
        return;
      }
      handling = onFile({ stream, filename: info.filename ?? '' });
      handling.then(
        (v) => finish(null, v),
        // The part's own stream failing is the multipart parser's error (a truncated body).
        (err: unknown) => finish(err instanceof AppError ? err : new AppError('file:upload_error', { cause: err, message: 'Malformed multipart body' })),
      );
    });
    parser.on('error', (cause: unknown) => {
      const err = new AppError('file:upload_error', { cause, message: 'Malformed multipart body' });
      // The file's own stream fails too: let the blob store clean up, then answer.
      if (handling) handling.then(() => finish(err), () => finish(err));
      else finish(err);
    });
    parser.on('close', () => {
      if (!handling) finish(new AppError('file:not_found', { message: 'No file in the `file` field', details: [{ field: 'file', issue: 'required' }] }));
    });
    const readError = (cause?: unknown) => {
      const err = new AppError('file:read_error', { cause, message: 'The upload stream failed before it ended' });
      parser.destroy(err);
      if (handling) handling.then(() => finish(err), () => finish(err));
      else finish(err);
    };
    // An error before we got here (the body failed while the caller was checking quotas).
    if (source.errored) {
      readError(source.errored);
      return;
    }
    source.on('error', readError);
    source.on('aborted', () => readError(new Error('request aborted')));
    source.pipe(parser);
  });
}
