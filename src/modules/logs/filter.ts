import { AppError, type FieldIssue } from '../../errors/index.ts';
import { LOG_LEVELS, levelNumber, type StoredEntry } from './entry.ts';
import { parseTimestamp } from './validate.ts';

/** A search term: a word of the message, or a prefix (`time*`). */
export interface Term {
  text: string;
  prefix: boolean;
}

export interface AttributeFilter {
  /** `attr.http.status=200` → ['http', 'status']. */
  path: string[];
  value: string;
}

/** What a query, histogram or tail selects. Every field narrows; absent fields do not. */
export interface LogFilter {
  /** Epoch ms, inclusive. */
  from?: number;
  /** Epoch ms, exclusive. */
  to?: number;
  /** Minimum level, or exactly these levels. */
  levels?: { min: number } | { in: number[] };
  /** Every term must occur in the message. */
  terms?: Term[];
  service?: string;
  traceId?: string;
  attributes: AttributeFilter[];
}

export interface FilterInput {
  from?: string | undefined;
  to?: string | undefined;
  level?: string | undefined;
  q?: string | undefined;
  service?: string | undefined;
  traceId?: string | undefined;
  /** `attr.<path>` query parameters, keys without the prefix. */
  attributes?: Record<string, string>;
}

const WORD = /[\p{L}\p{N}]+\*?/gu;
const ATTRIBUTE_KEY = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_TERMS = 16;
const MAX_ATTRIBUTE_FILTERS = 10;

/** Message words as every backend compares them: lower case, split on anything not a letter or digit. */
export function terms(q: string): Term[] {
  return (q.toLowerCase().match(WORD) ?? []).map((w) => (w.endsWith('*') ? { text: w.slice(0, -1), prefix: true } : { text: w, prefix: false }));
}

function time(value: string | undefined, field: string, issues: FieldIssue[]): number | undefined {
  if (value === undefined || value === '') return undefined;
  const ms = parseTimestamp(value);
  if (ms === undefined) issues.push({ field, issue: 'must be an RFC 3339 date-time or epoch milliseconds' });
  return ms;
}

/** Query parameters → a filter; every bad one is named in one general:validation_error. */
export function parseFilter(input: FilterInput): LogFilter {
  const issues: FieldIssue[] = [];
  const filter: LogFilter = { attributes: [] };
  const from = time(input.from, 'from', issues);
  const to = time(input.to, 'to', issues);
  if (from !== undefined) filter.from = from;
  if (to !== undefined) filter.to = to;
  if (from !== undefined && to !== undefined && from >= to) issues.push({ field: 'to', issue: 'must be after from' });
  if (input.level !== undefined && input.level !== '') {
    const names = input.level.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
    const numbers = names.map((n) => levelNumber(n));
    if (names.length === 0 || numbers.some((n) => n === undefined)) {
      issues.push({ field: 'level', issue: `must be one of ${LOG_LEVELS.join(', ')} (the minimum), or a comma-separated list of them` });
    } else {
      filter.levels = numbers.length === 1 ? { min: numbers[0] as number } : { in: [...new Set(numbers as number[])].sort() };
    }
  }
  if (input.q !== undefined && input.q.trim() !== '') {
    const t = terms(input.q).filter((x) => x.text.length > 0);
    if (t.length === 0) issues.push({ field: 'q', issue: 'must contain at least one word (letters or digits)' });
    else if (t.length > MAX_TERMS) issues.push({ field: 'q', issue: `at most ${MAX_TERMS} words` });
    else filter.terms = t;
  }
  if (input.service) filter.service = input.service;
  if (input.traceId) filter.traceId = input.traceId;
  const attrs = Object.entries(input.attributes ?? {});
  if (attrs.length > MAX_ATTRIBUTE_FILTERS) issues.push({ field: 'attr', issue: `at most ${MAX_ATTRIBUTE_FILTERS} attribute filters` });
  for (const [key, value] of attrs.slice(0, MAX_ATTRIBUTE_FILTERS)) {
    const path = key.split('.');
    if (path.length > 5 || !path.every((p) => ATTRIBUTE_KEY.test(p))) {
      issues.push({ field: `attr.${key}`, issue: 'attribute paths are up to 5 dot-separated keys of letters, digits, _ and -' });
    } else if (value.length > 256) {
      issues.push({ field: `attr.${key}`, issue: 'at most 256 characters' });
    } else {
      filter.attributes.push({ path, value });
    }
  }
  if (issues.length > 0) throw new AppError('general:validation_error', { details: issues });
  return filter;
}

/** An attribute value as filters compare it: strings as they are, numbers and booleans as JSON writes them. */
export function attributeText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

function attributeAt(attributes: Record<string, unknown> | null, path: string[]): unknown {
  let v: unknown = attributes;
  for (const key of path) {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

// Accents folded, as SQLite's unicode61 tokenizer does.
const fold = (s: string): string => s.normalize('NFKD').replace(/\p{M}/gu, '');

/** The filter as an in-memory predicate (the hot cache and the live tail). */
export function matcher(filter: LogFilter): (e: StoredEntry) => boolean {
  const wanted = filter.terms?.map((t) => ({ text: fold(t.text), prefix: t.prefix }));
  return (e) => {
    if (filter.from !== undefined && e.ts < filter.from) return false;
    if (filter.to !== undefined && e.ts >= filter.to) return false;
    if (filter.levels) {
      if ('min' in filter.levels ? e.level < filter.levels.min : !filter.levels.in.includes(e.level)) return false;
    }
    if (filter.service !== undefined && e.service !== filter.service) return false;
    if (filter.traceId !== undefined && e.traceId !== filter.traceId) return false;
    for (const a of filter.attributes) {
      if (attributeText(attributeAt(e.attributes, a.path)) !== a.value) return false;
    }
    if (wanted) {
      const words = terms(fold(e.message)).map((t) => t.text);
      for (const t of wanted) {
        if (!words.some((w) => (t.prefix ? w.startsWith(t.text) : w === t.text))) return false;
      }
    }
    return true;
  };
}
