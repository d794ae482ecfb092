import { AppError, type ErrorCode } from '../../errors/index.ts';

/** Every e-mail Basalt sends. */
export const MAIL_TEMPLATES = ['verification', 'password_reset', 'email_change', 'email_changed_notice', 'magic_link', 'invitation'] as const;
export type MailTemplate = (typeof MAIL_TEMPLATES)[number];

/** What each template interpolates. Tokens are the raw single-use secrets the links carry. */
export interface MailDataMap {
  verification: { handle: string; token: string };
  password_reset: { handle: string; token: string };
  /** Sent to the NEW address; confirming proves the user owns it. */
  email_change: { handle: string; token: string; newEmail: string };
  /** Sent to the OLD address once the change is done. */
  email_changed_notice: { handle: string; newEmail: string };
  magic_link: { token: string };
  invitation: { token: string; workspaceName: string; inviterHandle: string; role: string };
}

export type MailDataFor<T extends MailTemplate> = MailDataMap[T];

/** Any template with its data, as one value (the worker's job payload). */
export type MailJob = { [T in MailTemplate]: { template: T; to: string; data: MailDataMap[T] } }[MailTemplate];

/**
 * Sends one templated e-mail now (in this process, or through the worker process).
 *
 * Resolves once the transport has accepted the message. Throws only AppError:
 * - `worker:connection_failed` (503): the worker process is unreachable, times out, or
 *   refuses this API's WORKER_TOKEN.
 * - `worker:response_invalid` (502): the worker answered something that is not its envelope.
 * - a send failure (the mail server refused the message or could not be reached), by
 *   template, with a template-specific public message:
 *   - verification, email_change, email_changed_notice, invitation →
 *     `worker:verification_email_send_failed` (502): mails about owning an address;
 *   - password_reset, magic_link → `worker:password_reset_email_send_failed` (502): mails
 *     that grant sign-in.
 * Nothing is retried here: callers decide whether a failed mail fails their request.
 */
export interface Mailer {
  send<T extends MailTemplate>(template: T, to: string, data: MailDataFor<T>): Promise<void>;
}

const SEND_FAILURES: Record<MailTemplate, { code: ErrorCode; message: string }> = {
  verification: { code: 'worker:verification_email_send_failed', message: 'Verification email failed to send' },
  email_change: { code: 'worker:verification_email_send_failed', message: 'Email change confirmation failed to send' },
  email_changed_notice: { code: 'worker:verification_email_send_failed', message: 'Email change notice failed to send' },
  invitation: { code: 'worker:verification_email_send_failed', message: 'Invitation email failed to send' },
  password_reset: { code: 'worker:password_reset_email_send_failed', message: 'Password reset email failed to send' },
  magic_link: { code: 'worker:password_reset_email_send_failed', message: 'Sign-in link email failed to send' },
};

/** The AppError for a template whose message could not be sent. */
export function mailSendFailed(template: MailTemplate, cause: unknown): AppError {
  const { code, message } = SEND_FAILURES[template];
  return new AppError(code, { message, cause });
}
