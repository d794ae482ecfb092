import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createLogger, isoTime } from '../lib/logger.ts';
import { accessLine } from './access-log.ts';

describe('accessLine', () => {
  it('is byte for byte the line pino writes for the same access entry', () => {
    const written: string[] = [];
    const logger = pino({ level: 'info', base: { service: 'basalt' }, timestamp: isoTime }, { write: (s: string) => void written.push(s) });
    for (const [path, status, ms] of [['/health', 200, 1.25], ['/v1/odd "path"/\\ü', 404, 0], ['/v1/me', 401, 12.5]] as const) {
      logger.child({ reqId: 'req_0123456789abcdef' }).info({ method: 'GET', path, status, durationMs: ms }, 'request');
      const ours = accessLine(logger, 'req_0123456789abcdef', 'GET', path, status, ms);
      // Written within the same millisecond almost always; compare with the time masked.
      const mask = (line: string) => line.replace(/"time":"[^"]+"/, '"time":"T"');
      expect(mask(ours)).toBe(mask(written.at(-1) as string));
      expect(JSON.parse(ours)).toMatchObject({ level: 30, service: 'basalt', reqId: 'req_0123456789abcdef', method: 'GET', path, status, durationMs: ms, msg: 'request' });
    }
  });

  it('matches the production logger’s bindings (createLogger)', () => {
    const logger = createLogger({ level: 'silent', format: 'json' });
    expect(JSON.parse(accessLine(logger, 'req_x1234567', 'POST', '/v1/logs', 202, 3))).toMatchObject({ service: 'basalt', time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
  });
});
