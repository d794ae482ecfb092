// Compiles src/ to plain JavaScript for `basalt serve` and the other commands, once per change of
// the sources: a server running compiled modules carries no TypeScript loader (tsx keeps a
// loader thread and esbuild in every process and in every worker thread that boots it, about
// 40 MB each) and no per-function naming helpers on the request path. Plain JavaScript on
// purpose: it runs before any loader exists. Development (`npm run dev`) and the tests keep
// running the sources through tsx and Vitest.
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const SOURCE_DIR = join(ROOT, 'src');
export const CACHE_DIR = join(ROOT, 'node_modules', '.cache', 'basalt-server');
/** Builds kept besides the newest: a process still running an older one may start a worker thread from it. */
const KEEP = 3;

/** Sources that belong to the server: not tests, not the shared test suites (`*.contract.ts`). */
function isServerSource(path) {
  return (path.endsWith('.ts') && !path.endsWith('.test.ts') && !path.endsWith('.contract.ts') && !path.endsWith('.d.ts')) || path.endsWith('.mjs');
}

function listSources(dir, out = []) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) listSources(path, out);
    else if (isServerSource(path)) out.push(path);
  }
  return out.sort();
}

/** Names the build by what it is made of: every source's path, size and mtime, and the compiler's version. */
function fingerprint(sources, compilerVersion) {
  const hash = createHash('sha256').update(`${compilerVersion}\n${process.version}\n`);
  for (const path of sources) {
    const s = statSync(path);
    hash.update(`${relative(SOURCE_DIR, path)}\0${s.size}\0${s.mtimeMs}\n`);
  }
  return hash.digest('hex').slice(0, 16);
}

// Relative specifiers keep their `.ts` in the sources (allowImportingTsExtensions); the
// compiled files are `.js`. esbuild prints every string literal with double quotes.
const SPECIFIER = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\bnew URL\(\s*)"(\.\.?\/[^"\n]*?)\.ts"/g;

export function rewriteSpecifiers(code) {
  return code.replace(SPECIFIER, '$1"$2.js"');
}

/**
 * The compiled entry (`main.js`) for the current sources, building it first if needed. Safe
 * when several processes start at once: each builds into a directory of its own and renames
 * it into place; the loser of the rename discards its copy.
 */
export async function ensureServerBuild(options = {}) {
  const sourceDir = options.sourceDir ?? SOURCE_DIR;
  const cacheDir = options.cacheDir ?? CACHE_DIR;
  // The version from its package.json: when the build exists, esbuild is not even loaded.
  const { version } = createRequire(import.meta.url)('esbuild/package.json');
  const sources = listSources(sourceDir);
  const target = join(cacheDir, fingerprint(sources, version));
  const entry = join(target, 'main.js');
  if (existsSync(entry)) return { entry, built: false, dir: target };
  // One build per target in this process: esbuild's service is shared, and stopping it after
  // one build would cut off another still running.
  let pending = building.get(target);
  if (!pending) {
    pending = compile(sourceDir, cacheDir, sources, target).finally(() => building.delete(target));
    building.set(target, pending);
  }
  await pending;
  return { entry, built: true, dir: target };
}

const building = new Map();

async function compile(sourceDir, cacheDir, sources, target) {
  const entry = join(target, 'main.js');
  const { build, stop } = await import('esbuild');
  const staging = `${target}.tmp-${process.pid}-${Date.now()}`;
  mkdirSync(staging, { recursive: true });
  try {
    const scripts = sources.filter((p) => p.endsWith('.ts'));
    await build({
      entryPoints: scripts,
      outdir: staging,
      outbase: sourceDir,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      bundle: false,
      sourcemap: true,
      logLevel: 'silent',
    });
    // esbuild's service process would otherwise live as long as the server.
    await stop();
    for (const path of scripts) {
      const out = join(staging, relative(sourceDir, path)).replace(/\.ts$/, '.js');
      writeFileSync(out, rewriteSpecifiers(readFileSync(out, 'utf8')));
    }
    for (const path of sources.filter((p) => p.endsWith('.mjs'))) {
      const out = join(staging, relative(sourceDir, path));
      mkdirSync(dirname(out), { recursive: true });
      copyFileSync(path, out);
    }
    writeFileSync(join(staging, 'package.json'), '{"type":"module"}\n');
    try {
      renameSync(staging, target);
    } catch (err) {
      // Another process put the same build in place first.
      if (!existsSync(entry)) throw err;
      rmSync(staging, { recursive: true, force: true });
    }
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    throw err;
  }
  prune(cacheDir, target);
}

/** Drops all but the newest builds; directories still being staged are left to their builder. */
function prune(cacheDir, current) {
  const now = new Date();
  utimesSync(current, now, now);
  const builds = readdirSync(cacheDir)
    .filter((name) => !name.includes('.tmp-'))
    .map((name) => ({ path: join(cacheDir, name), at: statSync(join(cacheDir, name)).mtimeMs }))
    .sort((a, b) => b.at - a.at);
  for (const old of builds.slice(KEEP + 1)) if (old.path !== current && old.path.startsWith(cacheDir + sep)) rmSync(old.path, { recursive: true, force: true });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const started = performance.now();
  const { entry, built } = await ensureServerBuild();
  process.stdout.write(`basalt: server ${built ? 'compiled' : 'already compiled'} in ${Math.round(performance.now() - started)} ms: ${relative(ROOT, dirname(entry))}\n`);
}
