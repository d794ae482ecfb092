export const SOURCE_DIR: string;
export const CACHE_DIR: string;
export function rewriteSpecifiers(code: string): string;
export function ensureServerBuild(options?: { sourceDir?: string; cacheDir?: string }): Promise<{ entry: string; built: boolean; dir: string }>;
