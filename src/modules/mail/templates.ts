import type { MailDataMap, MailTemplate } from './mailer.ts';

export interface RenderContext {
  appName: string;
  /** Base URL of the console, without a trailing slash. */
  publicUrl: string;
}

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Every interpolated value goes through this: data comes from users (handles, workspace names). */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch] ?? ch);
}

// A header cannot carry a line break; user-supplied names must not start new headers.
const oneLine = (value: string) => value.replace(/[\r\n\t\u2028\u2029]+/g, ' ').trim();

/** Where each link leads: pages the console serves. */
function link(ctx: RenderContext, path: string, token: string): string {
  const encoded = encodeURIComponent(token);
  return path.endsWith('/') ? `${ctx.publicUrl}${path}${encoded}` : `${ctx.publicUrl}${path}?token=${encoded}`;
}

interface Parts {
  subject: string;
  /** Plain-text paragraphs, before the link. */
  intro: string[];
  action?: { label: string; url: string };
  /** Plain-text paragraphs, after the link. */
  outro: string[];
}

function compose(ctx: RenderContext, parts: Parts): RenderedMail {
  const textParts = [...parts.intro];
  if (parts.action) textParts.push(`${parts.action.label}: ${parts.action.url}`);
  textParts.push(...parts.outro, `— ${ctx.appName}`);
  const p = (s: string) => `<p style="margin:0 0 16px">${escapeHtml(s)}</p>`;
  const button = parts.action
    ? `<p style="margin:0 0 16px"><a href="${escapeHtml(parts.action.url)}" style="display:inline-block;padding:10px 18px;background:#1f2933;color:#ffffff;text-decoration:none;border-radius:6px">${escapeHtml(parts.action.label)}</a></p>` +
      `<p style="margin:0 0 16px;font-size:13px;color:#52606d">Or paste this link into your browser:<br><a href="${escapeHtml(parts.action.url)}">${escapeHtml(parts.action.url)}</a></p>`
    : '';
  const html =
    `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(parts.subject)}</title></head>` +
    `<body style="margin:0;padding:24px;background:#f5f7fa;font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;color:#1f2933">` +
    `<div style="max-width:560px;margin:0 auto;background:#ffffff;padding:32px;border-radius:8px">` +
    `<h1 style="margin:0 0 24px;font-size:20px">${escapeHtml(ctx.appName)}</h1>` +
    parts.intro.map(p).join('') +
    button +
    parts.outro.map(p).join('') +
    `</div></body></html>`;
  return { subject: oneLine(parts.subject), text: `${textParts.join('\n\n')}\n`, html };
}

type Renderers = { [T in MailTemplate]: (ctx: RenderContext, data: MailDataMap[T]) => Parts };

const IGNORE = 'If you did not ask for this, you can ignore this e-mail.';

const RENDERERS: Renderers = {
  verification: (ctx, d) => ({
    subject: `Verify your e-mail address for ${ctx.appName}`,
    intro: [`Hi ${d.handle},`, `Confirm that this is your e-mail address to finish setting up your ${ctx.appName} account.`],
    action: { label: 'Verify e-mail address', url: link(ctx, '/verify-email', d.token) },
    outro: ['The link works once and expires after a while.', IGNORE],
  }),
  password_reset: (ctx, d) => ({
    subject: `Reset your ${ctx.appName} password`,
    intro: [`Hi ${d.handle},`, `Someone asked to reset the password of your ${ctx.appName} account.`],
    action: { label: 'Choose a new password', url: link(ctx, '/reset-password', d.token) },
    outro: ['The link works once and expires soon. Resetting signs you out everywhere.', `${IGNORE} Your password stays as it is.`],
  }),
  email_change: (ctx, d) => ({
    subject: `Confirm your new e-mail address for ${ctx.appName}`,
    intro: [`Hi ${d.handle},`, `Confirm that ${d.newEmail} should become the e-mail address of your ${ctx.appName} account.`],
    action: { label: 'Confirm new address', url: link(ctx, '/confirm-email', d.token) },
    outro: ['The link works once and expires after a while.', `${IGNORE} Nothing changes until the link is used.`],
  }),
  email_changed_notice: (ctx, d) => ({
    subject: `Your ${ctx.appName} e-mail address was changed`,
    intro: [`Hi ${d.handle},`, `The e-mail address of your ${ctx.appName} account was changed to ${d.newEmail}.`],
    outro: [`If you did not make this change, reset your password and contact the ${ctx.appName} administrators.`],
  }),
  magic_link: (ctx, d) => ({
    subject: `Your sign-in link for ${ctx.appName}`,
    intro: [`Use this link to sign in to ${ctx.appName}.`],
    action: { label: `Sign in to ${ctx.appName}`, url: link(ctx, '/magic-link', d.token) },
    outro: ['The link works once and expires soon.', IGNORE],
  }),
  invitation: (ctx, d) => ({
    subject: `${d.inviterHandle} invited you to ${d.workspaceName} on ${ctx.appName}`,
    intro: [`${d.inviterHandle} invited you to join the workspace ${d.workspaceName} on ${ctx.appName} as ${d.role}.`],
    action: { label: 'Accept invitation', url: link(ctx, '/invitations/', d.token) },
    outro: ['If you do not know the sender, you can ignore this e-mail.'],
  }),
};

/** Subject, plain text and HTML of one template. Pure: no I/O. */
export function renderMail<T extends MailTemplate>(template: T, data: MailDataMap[T], ctx: RenderContext): RenderedMail {
  const render = RENDERERS[template] as (c: RenderContext, d: MailDataMap[T]) => Parts;
  return compose(ctx, render(ctx, data));
}
