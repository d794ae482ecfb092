import { escapeHtml } from '../../ports/search-index.ts';

const WORD = /[\p{L}\p{N}]+/gu;
const NON_ASCII = /[^\x00-\x7f]/;

/** Case- and accent-insensitive form of a word, as the indexes fold it (unicode61 remove_diacritics). */
export function foldWord(word: string): string {
  const lower = word.toLowerCase();
  return NON_ASCII.test(lower) ? lower.normalize('NFKD').replace(/\p{M}+/gu, '') : lower;
}

interface Token {
  start: number;
  end: number;
  /** Index of the query term it matches, or -1. */
  term: number;
}

function tokenize(text: string, terms: readonly string[]): Token[] {
  const last = terms.length - 1;
  const tokens: Token[] = [];
  for (const m of text.matchAll(WORD)) {
    const w = foldWord(m[0]);
    let term = terms.indexOf(w);
    // The last query word is a prefix (type-ahead).
    if (term < 0 && last >= 0 && w.startsWith(terms[last] as string)) term = last;
    tokens.push({ start: m.index, end: m.index + m[0].length, term });
  }
  return tokens;
}

/** The window of `size` tokens covering the most distinct terms, then the most matches. */
function bestWindow(tokens: readonly Token[], size: number, termCount: number): { from: number; score: number } {
  const counts = new Array<number>(termCount).fill(0);
  let distinct = 0;
  let matches = 0;
  let best = { from: 0, score: -1 };
  for (let i = 0; i < tokens.length; i++) {
    const t = (tokens[i] as Token).term;
    if (t >= 0) {
      if (counts[t] === 0) distinct++;
      counts[t] = (counts[t] as number) + 1;
      matches++;
    }
    const drop = i - size;
    if (drop >= 0) {
      const d = (tokens[drop] as Token).term;
      if (d >= 0) {
        counts[d] = (counts[d] as number) - 1;
        if (counts[d] === 0) distinct--;
        matches--;
      }
    }
    // Distinct terms dominate; ties keep the earliest window.
    const score = distinct * 10_000 + matches;
    if (score > best.score) best = { from: Math.max(0, i - size + 1), score };
  }
  return best;
}

/**
 * An HTML-safe snippet of the best-matching field: up to `size` words around the query's
 * terms (the last one as a prefix), matches in `<mark>`, `…` where text was cut. Computed
 * here for the page of hits only, the same way for every SQL backend: FTS5's `snippet()`
 * re-runs the query's prefix expansion for each row, and PostgreSQL's `ts_headline`
 * re-parses the whole document, both far dearer than this.
 */
export function snippetHtml(fields: readonly string[], queryTerms: readonly string[], size = 16): string {
  const terms = queryTerms.map(foldWord);
  let chosen: { text: string; tokens: Token[]; from: number; score: number } | undefined;
  for (const text of fields) {
    if (!text) continue;
    const tokens = tokenize(text, terms);
    if (tokens.length === 0) continue;
    const w = bestWindow(tokens, size, terms.length);
    if (!chosen || w.score > chosen.score) chosen = { text, tokens, ...w };
  }
  if (!chosen) return '';
  const { text, tokens, from } = chosen;
  const to = Math.min(tokens.length, from + size);
  let out = from > 0 ? '…' : '';
  let at = (tokens[from] as Token).start;
  if (from === 0) at = 0;
  for (let i = from; i < to; i++) {
    const t = tokens[i] as Token;
    if (t.term < 0) continue;
    out += `${escapeHtml(text.slice(at, t.start))}<mark>${escapeHtml(text.slice(t.start, t.end))}</mark>`;
    at = t.end;
  }
  const end = to < tokens.length ? (tokens[to - 1] as Token).end : text.length;
  out += escapeHtml(text.slice(at, end));
  return to < tokens.length ? `${out}…` : out;
}
