#!/usr/bin/env node
// `npm install && npm start` needs no build step: the sources are compiled to JavaScript on the
// first start after a change (bin/build-server.js, well under a second) and run from there. If
// that is impossible (a read-only install, say), or BASALT_RUN_SOURCES=1, they run through tsx.
import { pathToFileURL } from 'node:url';
import { config as loadDotenv } from 'dotenv';
import { ensureServerBuild } from './build-server.js';

loadDotenv({ quiet: true });

async function compiledEntry() {
  if (process.env.BASALT_RUN_SOURCES === '1') return undefined;
  try {
    return (await ensureServerBuild()).entry;
  } catch (err) {
    process.stderr.write(`basalt: could not compile the server (${err instanceof Error ? err.message : String(err)}); running the sources through tsx\n`);
    return undefined;
  }
}

const entry = await compiledEntry();
if (entry) {
  // Stack traces then name the TypeScript sources, as they do under tsx.
  process.setSourceMapsEnabled(true);
  await import(pathToFileURL(entry).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/main.ts');
}
