import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The folder of Basalt's package.json, found upwards from this module: the same whether the
 * sources run (src/lib) or their compiled copy does (node_modules/.cache/basalt-server/<build>/lib,
 * see bin/build-server.js), so files outside src/ are found from either.
 */
export function packageRoot(from: string = fileURLToPath(import.meta.url)): string {
  let dir = dirname(from);
  for (;;) {
    // node_modules/.cache/… holds no package.json of its own until the package's folder.
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'src'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`Basalt's package folder not found above ${from}`);
    dir = parent;
  }
}
