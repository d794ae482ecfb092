import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join, relative, sep } from 'node:path';
import { gzipSync } from 'node:zlib';

export interface Asset {
  body: Uint8Array;
  /** Gzipped body for compressible types worth it, else undefined. */
  gzip: Uint8Array | undefined;
  type: string;
  etag: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};
const COMPRESSIBLE = new Set(['.html', '.js', '.mjs', '.css', '.json', '.map', '.svg', '.txt', '.webmanifest']);

export function asset(body: Uint8Array, ext: string): Asset {
  const gzip = COMPRESSIBLE.has(ext) && body.length > 1024 ? gzipSync(body, { level: 9 }) : undefined;
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
  return { body, gzip, type: TYPES[ext] ?? 'application/octet-stream', etag };
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(path)));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

export interface Bundle {
  /** URL path ('/assets/index-abc.js') → asset; index.html is kept apart (it is rendered). */
  files: Map<string, Asset>;
  indexHtml: string;
  /** index.html's mtime, to notice a rebuild while running. */
  builtAt: number;
}

/**
 * Reads the whole build into memory (it is small, and a fixed map of URL paths means no
 * request path ever reaches the file system). Answers undefined when there is no build.
 */
export async function loadBundle(distDir: string): Promise<Bundle | undefined> {
  const indexPath = join(distDir, 'index.html');
  let builtAt: number;
  try {
    builtAt = (await stat(indexPath)).mtimeMs;
  } catch {
    return undefined;
  }
  const files = new Map<string, Asset>();
  for (const file of await listFiles(distDir)) {
    if (file === indexPath) continue;
    const urlPath = `/${relative(distDir, file).split(sep).join('/')}`;
    files.set(urlPath, asset(new Uint8Array(await readFile(file)), extname(file).toLowerCase()));
  }
  return { files, indexHtml: await readFile(indexPath, 'utf8'), builtAt };
}

export async function builtAt(distDir: string): Promise<number | undefined> {
  try {
    return (await stat(join(distDir, 'index.html'))).mtimeMs;
  } catch {
    return undefined;
  }
}
