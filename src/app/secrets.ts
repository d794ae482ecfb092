import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/index.ts';

/**
 * The token-signing secret: JWT_SECRET when set (required when several instances serve one
 * deployment), else a random key generated once into the data dir and kept (mode 600), so
 * sessions survive restarts of a single instance.
 */
export function loadSigningKey(config: Config): Buffer {
  if (config.JWT_SECRET) return Buffer.from(config.JWT_SECRET, 'utf8');
  const dir = join(config.DATA_DIR, 'secrets');
  const file = join(dir, 'jwt.key');
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    try {
      // 'wx': if two processes race at first start, one writes and both read the same key.
      writeFileSync(file, randomBytes(48).toString('base64url'), { flag: 'wx', mode: 0o600 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    chmodSync(file, 0o600);
  }
  return Buffer.from(readFileSync(file, 'utf8').trim(), 'utf8');
}
