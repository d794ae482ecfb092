// Builds the console into web/dist. Run by `npm install` (prepare) and `npm run build:web`.
// Without vite (an install with --omit=dev) it says so and exits 0: the server still runs and
// its / page explains how to build the console.
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));
let vite;
try {
  vite = await import('vite');
} catch {
  console.warn('basalt: vite is not installed (dev dependencies omitted), so the console was not built; `npm install` then `npm run build:web` builds it.');
  process.exit(0);
}
const started = Date.now();
await vite.build({ root, configFile: fileURLToPath(new URL('./vite.config.ts', import.meta.url)), logLevel: 'warn' });
console.log(`basalt: console built into web/dist in ${((Date.now() - started) / 1000).toFixed(1)} s`);
