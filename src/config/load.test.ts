import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './load.ts';

describe('configuration', () => {
  it('has defaults that serve the embedded store on port 3000', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ PORT: 3000, DATA_DIR: './data', NODE_ENV: 'production', LOG_FORMAT: 'json', PUBLIC_URL: 'http://localhost:3000' });
    expect(c.DATABASE_URL).toBeUndefined();
    expect(c.REDIS_URL).toBeUndefined();
  });

  it('reads typed values and treats empty strings as unset', () => {
    const c = loadConfig({ PORT: '8080', DATABASE_URL: '', NODE_ENV: 'development', PUBLIC_URL: 'https://api.example.com/' });
    expect(c.PORT).toBe(8080);
    expect(c.DATABASE_URL).toBeUndefined();
    expect(c.LOG_FORMAT).toBe('pretty');
    expect(c.PUBLIC_URL).toBe('https://api.example.com');
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ DATABASE_URL: 'mysql://localhost/db' }, 'DATABASE_URL'],
    [{ REDIS_URL: 'localhost:6379' }, 'REDIS_URL'],
    [{ NODE_ENV: 'staging' }, 'NODE_ENV'],
    [{ BODY_LIMIT_BYTES: '-5' }, 'BODY_LIMIT_BYTES'],
  ])('refuses %j naming %s', (env, variable) => {
    const err = (() => {
      try {
        loadConfig(env);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems.some((p) => p.startsWith(`${variable}:`))).toBe(true);
  });

  it('reports every bad variable at once', () => {
    expect(() => loadConfig({ PORT: 'x', LOG_LEVEL: 'loud' })).toThrow(/PORT:[\s\S]*LOG_LEVEL:/);
  });
});
