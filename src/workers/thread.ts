import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker, type ResourceLimits } from 'node:worker_threads';

// Resolved from here, not from the working directory, so an installed Basalt finds its tsx.
const TSX_API = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;

/**
 * Starts a TypeScript module in a worker thread. Basalt runs its sources through tsx, and a
 * loader registered in one thread does not reach new ones, so the thread registers tsx
 * itself before importing the module. `data` arrives as `workerData` (structured clone).
 */
export function startTsThread(module: URL, data: unknown, name: string, resourceLimits?: ResourceLimits): Worker {
  const boot = `import(${JSON.stringify(TSX_API)}).then(({ register }) => { register(); return import(${JSON.stringify(module.href)}); })`;
  return new Worker(boot, { eval: true, workerData: data, name, ...(resourceLimits ? { resourceLimits } : {}) });
}
