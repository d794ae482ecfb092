import { readdirSync, rmSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { builtinModules, createRequire } from 'node:module';
import { basename, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type ResourceLimits } from 'node:worker_threads';

// Resolved from here, not from the working directory, so an installed Basalt finds its tsx.
const require = createRequire(import.meta.url);
const TSX_API = pathToFileURL(require.resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;

// The esbuild tsx itself runs on (a dependency of tsx), resolved through tsx.
type Esbuild = typeof import('esbuild');
const loadEsbuild = (): Esbuild => createRequire(require.resolve('tsx/package.json'))('esbuild') as Esbuild;

const BUILTINS = new Set(builtinModules);

/** A thread module's graph compiled to JavaScript, in a directory of its own until disposed. */
export interface CompiledThread {
  entry: URL;
  dispose(): void;
}

let compilations = 0;
// esbuild's service is one per process: stopping it while another compilation runs (two
// servers starting at once in one process, as tests do) would leave that one hanging.
let compiling = 0;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Directories that processes killed before disposing theirs left behind. */
function sweep(parent: string): void {
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(/^(\d+)-\d+$/.exec(name)?.[1]);
    if (pid > 0 && pid !== process.pid && !alive(pid)) rmSync(join(parent, name), { recursive: true, force: true });
  }
}

/**
 * Compiles a TypeScript thread module and the Basalt modules it imports (statically or not)
 * into plain ES modules in `parent/<pid>-<n>/` (under the data folder: private to the
 * server, unlike a shared temporary folder). A thread started from them loads no TypeScript
 * loader: booting tsx inside a thread costs tsx's own modules and, on Node 20, one more
 * thread (and V8 heap) for the loader's hooks, about 20 MB of the process's memory.
 * Packages stay outside the bundle, imported by absolute URL, so they load from where they
 * are installed, and the scale-out drivers still load only when configured.
 */
export async function compileThread(module: URL, parent: string): Promise<CompiledThread> {
  // Already JavaScript (the server runs from its compiled build, bin/build-server.js): as it is.
  if (/\.[cm]?js$/.test(module.pathname)) return { entry: module, dispose: () => {} };
  const esbuild = loadEsbuild();
  sweep(parent);
  // One per compilation: several servers of one process (tests) may share a data folder.
  const outdir = join(parent, `${process.pid}-${++compilations}`);
  rmSync(outdir, { recursive: true, force: true });
  await mkdir(outdir, { recursive: true, mode: 0o700 });
  const dispose = () => rmSync(outdir, { recursive: true, force: true });
  // A process that exits without disposing still leaves nothing behind (one killed does,
  // until the next start sweeps it).
  const onExit = () => dispose();
  process.once('exit', onExit);
  compiling++;
  try {
    const entryName = basename(fileURLToPath(module)).replace(/\.[cm]?ts$/, '');
    await esbuild.build({
      entryPoints: { [entryName]: fileURLToPath(module) },
      outdir,
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: `node${process.versions.node}`,
      outExtension: { '.js': '.mjs' },
      // Resolution as Node's for `import`: no `module` field or condition.
      mainFields: ['main'],
      conditions: [],
      logLevel: 'silent',
      plugins: [
        {
          name: 'packages-by-path',
          setup(build) {
            build.onResolve({ filter: /^[^./]/ }, async (args) => {
              if (args.path.startsWith('node:') || BUILTINS.has(args.path)) return { path: args.path, external: true };
              if ((args.pluginData as { inner?: boolean } | undefined)?.inner) return undefined;
              const found = await build.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: { inner: true } });
              if (found.errors.length > 0) return { errors: found.errors };
              return { path: pathToFileURL(found.path).href, external: true };
            });
          },
        },
      ],
    });
    return {
      entry: pathToFileURL(join(outdir, `${entryName}.mjs`)),
      dispose: () => {
        process.off('exit', onExit);
        dispose();
      },
    };
  } catch (err) {
    process.off('exit', onExit);
    dispose();
    throw err;
  } finally {
    // esbuild's service process is not needed once the files are written.
    if (--compiling === 0) await esbuild.stop();
  }
}

// Flags that load tsx (`tsx watch`, `node --import tsx`): a compiled thread needs none.
function withoutTsx(execArgv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i] as string;
    const [flag, inline] = arg.split('=', 2) as [string, string | undefined];
    const loads = ['--import', '--require', '-r', '--loader', '--experimental-loader'].includes(flag);
    const value = inline ?? (loads ? execArgv[i + 1] : undefined);
    if (loads && value !== undefined && /(^|[\\/])tsx([\\/]|$)/.test(value)) {
      if (inline === undefined) i++;
      continue;
    }
    out.push(arg);
  }
  return out;
}

/** Starts a thread compiled by `compileThread`. */
export function startCompiledThread(compiled: CompiledThread, data: unknown, name: string, resourceLimits?: ResourceLimits): Worker {
  return new Worker(compiled.entry, { workerData: data, name, execArgv: withoutTsx(process.execArgv), ...(resourceLimits ? { resourceLimits } : {}) });
}

/**
 * Starts a TypeScript module in a worker thread through tsx: a loader registered in one
 * thread does not reach new ones, so the thread registers tsx itself before importing the
 * module. The fallback when `compileThread` cannot run. `data` arrives as `workerData`
 * (structured clone).
 */
export function startTsThread(module: URL, data: unknown, name: string, resourceLimits?: ResourceLimits): Worker {
  const boot = `import(${JSON.stringify(TSX_API)}).then(({ register }) => { register(); return import(${JSON.stringify(module.href)}); })`;
  return new Worker(boot, { eval: true, workerData: data, name, ...(resourceLimits ? { resourceLimits } : {}) });
}
