import pino, { type Logger } from 'pino';
import { LogDestination } from './log-destination.ts';

export type { Logger };

export interface LoggerOptions {
  level: string;
  format: 'json' | 'pretty';
}

let stampMs = Number.NaN;
let iso = '';
let stamp = '';

/**
 * The current time as ISO 8601, formatted once per millisecond: under load many log lines and
 * response envelopes share a millisecond, and Date#toISOString was a visible share of each.
 */
export function nowIso(): string {
  const now = Date.now();
  if (now !== stampMs) {
    stampMs = now;
    iso = new Date(now).toISOString();
    stamp = `,"time":"${iso}"`;
  }
  return iso;
}

/** pino's `timestamp` option: the `time` field, from nowIso's cache. */
export function isoTime(): string {
  nowIso();
  return stamp;
}

let shared: LogDestination | undefined;

/** One batched stdout for every logger of the process: one buffer, one exit flush, lines in order. */
function stdout(): LogDestination {
  shared ??= new LogDestination(process.stdout.fd ?? 1);
  return shared;
}

/** JSON lines in production; pino-pretty (in its own thread) when asked for readable logs. */
export function createLogger(options: LoggerOptions): Logger {
  const base = { level: options.level, base: { service: 'basalt' }, timestamp: isoTime };
  if (options.format === 'pretty') {
    return pino({ ...base, transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service' } } });
  }
  return pino(base, stdout());
}
