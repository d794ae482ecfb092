import type { FileRow } from './repo.ts';

export interface FileMeta {
  id: string;
  name: string;
  size: number;
  contentType: string;
  sha256: string;
  width: number | null;
  height: number | null;
  createdAt: string;
}

export function presentFile(row: FileRow): FileMeta {
  return { id: row.id, name: row.name, size: row.size, contentType: row.content_type, sha256: row.sha256, width: row.width, height: row.height, createdAt: new Date(row.created_at).toISOString() };
}

// Types a browser shows inline without running anything; everything else is a download.
const INLINE = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/avif', 'image/bmp', 'audio/mpeg', 'audio/ogg', 'video/mp4', 'video/webm']);

export function isInlineSafe(contentType: string): boolean {
  return INLINE.has(contentType);
}

/** A display name: no path, no control or quote characters, at most 255 characters. */
export function sanitizeFilename(raw: string): string {
  const base = raw.normalize('NFC').split(/[/\\]/).pop() ?? '';
  // biome-ignore lint: control characters are exactly what is removed.
  const clean = base.replace(/[\u0000-\u001f\u007f"<>|:*?]/g, '').replace(/^[.\s]+/, '').trim().slice(0, 255);
  return clean || 'file';
}

/** RFC 6266 Content-Disposition with an ASCII fallback and the UTF-8 name. */
export function contentDisposition(kind: 'inline' | 'attachment', name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}
