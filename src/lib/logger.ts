import pino, { type Logger } from 'pino';
import { LogDestination } from './log-destination.ts';

export type { Logger };

export interface LoggerOptions {
  level: string;
  format: 'json' | 'pretty';
}

let stampMs = Number.NaN;
let stamp = '';

/**
 * pino's isoTime, formatted once per millisecond: under load many lines share a millisecond,
 * and Date#toISOString was a visible share of each request's logging cost.
 */
export function isoTime(): string {
  const now = Date.now();
  if (now !== stampMs) {
    stampMs = now;
    stamp = `,"time":"${new Date(now).toISOString()}"`;
  }
  return stamp;
}

/** JSON lines in production; pino-pretty (in its own thread) when asked for readable logs. */
export function createLogger(options: LoggerOptions): Logger {
  const base = { level: options.level, base: { service: 'basalt' }, timestamp: isoTime };
  if (options.format === 'pretty') {
    return pino({ ...base, transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service' } } });
  }
  return pino(base, new LogDestination(process.stdout.fd ?? 1));
}
