import { fileTypeFromBuffer } from 'file-type';
import { imageSize } from 'image-size';

/** The content type from the bytes themselves (never the client's claim), and image dimensions. */
export async function sniff(head: Buffer): Promise<{ contentType: string; width: number | null; height: number | null }> {
  const detected = await fileTypeFromBuffer(head);
  let contentType = detected?.mime ?? (looksLikeText(head) ? 'text/plain; charset=utf-8' : 'application/octet-stream');
  // SVG and HTML are text here on purpose: never served as markup.
  if (contentType === 'application/xml' || contentType === 'image/svg+xml') contentType = 'text/plain; charset=utf-8';
  let width: number | null = null;
  let height: number | null = null;
  if (contentType.startsWith('image/')) {
    try {
      const d = imageSize(head);
      width = d.width ?? null;
      height = d.height ?? null;
    } catch {
      // Dimensions past the first 64 KiB, or an unsupported format: the file is still stored.
    }
  }
  return { contentType, width, height };
}

function looksLikeText(head: Buffer): boolean {
  if (head.length === 0 || head.includes(0)) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(0, Math.max(0, head.length - 4)));
    return true;
  } catch {
    return false;
  }
}
