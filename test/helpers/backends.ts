import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/** A unique, lowercase id for names shared servers see (schemas, key prefixes, streams). */
export function runId(prefix = 't'): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

export function tempDir(prefix = 'basalt-test-'): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

const announced = new Set<string>();

/**
 * The URL of a scale-out server from the environment, or undefined, printing once why the
 * suites that need it are skipped. CI sets every URL, so nothing is skipped there.
 */
export function serviceUrl(variable: 'DATABASE_URL' | 'REDIS_URL' | 'NATS_URL'): string | undefined {
  const url = process.env[variable];
  if (!url && !announced.has(variable)) {
    announced.add(variable);
    console.warn(`[skip] ${variable} is not set: suites that need this server are skipped (CI sets it).`);
  }
  return url || undefined;
}

/** Creates a fresh PostgreSQL schema for one suite; `drop` removes it and everything in it. */
export async function createPgSchema(url: string): Promise<{ schema: string; drop(): Promise<void> }> {
  const schema = runId('basalt');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(`create schema "${schema}"`);
  await client.end();
  return {
    schema,
    drop: async () => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(`drop schema if exists "${schema}" cascade`);
      await c.end();
    },
  };
}
