import MarkdownIt from 'markdown-it';
import sanitizeHtml from 'sanitize-html';

// Raw HTML in the source is escaped, not passed through; markdown-it already refuses
// javascript:/vbscript:/data: links. The sanitiser is the second wall: an allowlist of the
// tags Markdown produces, http(s)/mailto links only, and rel=noopener on every link.
const md = new MarkdownIt({ html: false, linkify: true, breaks: false });

const allowed: sanitizeHtml.IOptions = {
  allowedTags: ['p', 'br', 'hr', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'strong', 'em', 's', 'del', 'code', 'pre', 'blockquote', 'ul', 'ol', 'li', 'a', 'img', 'table', 'thead', 'tbody', 'tr', 'th', 'td'],
  allowedAttributes: { a: ['href', 'title'], img: ['src', 'alt', 'title'], ol: ['start'], th: ['style'], td: ['style'] },
  allowedStyles: { th: { 'text-align': [/^(left|right|center)$/] }, td: { 'text-align': [/^(left|right|center)$/] } },
  allowedSchemes: ['http', 'https', 'mailto'],
  allowedSchemesByTag: { img: ['http', 'https'] },
  allowProtocolRelative: false,
  transformTags: { a: sanitizeHtml.simpleTransform('a', { rel: 'noopener noreferrer nofollow', target: '_blank' }) },
};

/** Markdown → HTML that is safe to insert into a page. */
export function renderMarkdown(source: string): string {
  return sanitizeHtml(md.render(source), { ...allowed, allowedAttributes: { ...allowed.allowedAttributes, a: ['href', 'title', 'rel', 'target'] } });
}
