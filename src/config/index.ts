export { loadConfig, ConfigError } from './load.ts';
export type { Config, ConfigInput } from './schema.ts';
