import { describe, expect, it } from 'vitest';
import { foldWord, snippetHtml } from './snippet.ts';

describe('snippetHtml', () => {
  it('marks every query word, the last as a prefix, case- and accent-insensitively', () => {
    expect(snippetHtml(['', 'Le Café near the BASALT columns'], ['cafe', 'bas'])).toBe('Le <mark>Café</mark> near the <mark>BASALT</mark> columns');
    expect(foldWord('Éclair')).toBe('eclair');
  });

  it('escapes the text around and inside matches', () => {
    expect(snippetHtml(['<b>granite</b> & "tuff"'], ['granite'])).toBe('&lt;b&gt;<mark>granite</mark>&lt;/b&gt; &amp; &quot;tuff&quot;');
  });

  it('cuts a long text to the window with the most distinct terms, with ellipses', () => {
    const words = Array.from({ length: 40 }, (_, i) => `w${i}`);
    words[5] = 'alpha';
    words[25] = 'alpha';
    words[28] = 'beta';
    const html = snippetHtml([words.join(' ')], ['alpha', 'beta'], 8);
    expect(html).toBe('…w21 w22 w23 w24 <mark>alpha</mark> w26 w27 <mark>beta</mark>…');
  });

  it('prefers the field with more matches (title over body on a tie) and is empty without text', () => {
    expect(snippetHtml(['Granite notes', 'granite and basalt'], ['granite', 'basalt'])).toBe('<mark>granite</mark> and <mark>basalt</mark>');
    expect(snippetHtml(['Granite notes', 'granite only'], ['granite'])).toBe('<mark>Granite</mark> notes');
    expect(snippetHtml(['', ''], ['x'])).toBe('');
  });
});
