import type { Deviation, ErrorDef, ErrorType, HttpErrorStatus, SeedRef } from './types.ts';

/**
 * The one registry of error codes. Codes are a public contract: add freely, never rename.
 * Status and type are what the client sees; `message` is the public text, kept apart
 * from any internal cause (which only AppError.cause carries, and only logs show).
 */
function def(
  status: HttpErrorStatus,
  type: ErrorType,
  message: string,
  scenario: string,
  seed: SeedRef = '000',
  deviation?: Deviation,
): ErrorDef {
  return deviation ? { status, type, message, scenario, seed, deviation } : { status, type, message, scenario, seed };
}

const V = 'VALIDATION_ERROR';
const U = 'UNAUTHORIZED';
const A = 'AUTH_FAILED';
const F = 'FORBIDDEN';
const N = 'NOT_FOUND';
const I = 'INTERNAL_ERROR';
const S = 'SERVICE_UNAVAILABLE';

export const ERROR_CODES = {
  // user
  'user:invalid_password': def(401, A, 'Invalid email or password', 'Login with a wrong password or an unknown e-mail/handle (same answer, same timing)'),
  'user:password_not_set': def(401, A, 'Password sign-in is not available for this account', 'Password login on an account that only has OAuth connections'),
  'user:invalid_session': def(401, U, 'Session is invalid', 'A session cookie that cannot be used'),
  'user:not_verified': def(403, F, 'Email verification required', 'An action that needs a verified e-mail, by an unverified account', '000', {
    seedStatus: 401,
    why: 'The caller is authenticated; the action is refused (seed 003 says 403 FORBIDDEN).',
  }),
  'user:not_found': def(404, N, 'User not found', 'Public profile of a handle that does not exist'),
  'user:unauthorized': def(401, U, 'Authentication required', 'A protected route called without credentials'),
  'user:banned': def(403, F, 'Account is banned', 'A banned user signs in or uses a token issued before the ban'),
  'user:permission_insufficient': def(403, F, 'Insufficient permissions', 'A non-admin calls an admin route'),
  'user:handle_already_exists': def(409, V, 'Handle is already taken', 'Register or OAuth sign-up with a handle in use (case-insensitive)'),
  'user:email_already_exists': def(409, V, 'User with this email already exists', 'Register with an e-mail that is already registered'),
  'user:token_expired': def(401, U, 'Token expired', 'An access token past its expiry'),
  'user:no_refresh_token': def(401, U, 'No refresh token provided', 'Refresh called with no token in the body or cookie'),
  'user:invalid_token': def(401, U, 'Invalid token', 'An access token with a bad signature or shape'),
  // session
  'session:invalid_user_id': def(401, U, 'Session is invalid', 'A session record whose user id is malformed'),
  'session:expired': def(401, U, 'Session has expired', 'A session past its idle timeout or absolute lifetime'),
  'session:not_found': def(401, U, 'Session not found', 'A token whose session was revoked or never existed'),
  // oauth
  'oauth:invalid_auth_url': def(400, V, 'Failed to build authorization URL', 'A provider whose authorization URL cannot be built from its configuration'),
  'oauth:invalid_token_url': def(400, V, 'Failed to build token exchange URL', 'A provider whose token URL cannot be built from its configuration'),
  'oauth:invalid_redirect_url': def(400, V, 'Invalid redirect URI', 'A redirect_uri outside the configured allowlist'),
  'oauth:token_exchange_failed': def(401, A, 'OAuth code exchange failed', 'The provider rejects the authorization code', '000', {
    seedStatus: 400,
    why: 'Seed 003 classes a failed OAuth exchange as AUTH_FAILED 401; the credential, not the request, is bad.',
  }),
  'oauth:user_info_fetch_failed': def(400, V, 'Failed to fetch user info from provider', 'The provider user-info call fails'),
  'oauth:user_info_parse_failed': def(500, I, 'Failed to parse provider user info', 'The provider user-info answer cannot be parsed'),
  'oauth:account_already_linked': def(409, V, 'OAuth account already linked to another user', 'Linking a provider account that belongs to someone else'),
  'oauth:connection_not_found': def(404, N, 'OAuth connection not found', 'Unlinking a provider the account is not connected to'),
  'oauth:cannot_unlink_last_connection': def(403, F, 'Cannot remove last auth method', 'Unlinking the only connection of an account without a password', '000', {
    seedStatus: 400,
    why: 'Same scenario as seed 003 "Unlinking last auth method" (403 FORBIDDEN): a refusal, not bad syntax.',
  }),
  'oauth:invalid_image_url': def(400, V, 'Invalid avatar URL from provider', 'The provider avatar URL is not https or resolves to a private address'),
  'oauth:invalid_state': def(400, V, 'OAuth state parameter mismatch', 'Callback with an unknown or mismatched state'),
  'oauth:state_expired': def(400, V, 'OAuth state has expired', 'Callback after the 10-minute state lifetime'),
  'oauth:handle_required': def(400, V, 'Handle required for new OAuth signup', 'First OAuth sign-up before a handle is chosen'),
  'oauth:email_already_exists': def(409, V, 'Email already exists', 'OAuth sign-up with an e-mail of an account not linked to this provider'),
  'oauth:email_not_verified': def(400, V, 'Provider email not verified', 'The provider says the e-mail is not verified'),
  'oauth:unsupported_provider': def(400, V, 'Unsupported OAuth provider', 'An unknown or unconfigured provider name', null),
  // password
  'password:required_for_update': def(400, V, 'Current password required', 'Password change without the current password'),
  'password:incorrect': def(400, V, 'Current password is wrong', 'Password change with a wrong current password'),
  'password:cannot_update_oauth_only': def(400, V, 'Cannot update password on an OAuth-only account', 'Password change on an account that has no password (use set)'),
  'password:new_password_missing': def(400, V, 'New password not provided', 'Password change without a new password'),
  'password:already_set': def(400, V, 'Password is already set', 'Set-password on an account that already has one'),
  // token
  'token:invalid_verification': def(400, V, 'Email verification token is invalid', 'Verify with an unknown or used token'),
  'token:expired_verification': def(400, V, 'Email verification token has expired', 'Verify with a token older than 24 h'),
  'token:email_mismatch': def(400, V, "Token email doesn't match", 'A token issued for an address the account no longer has'),
  'token:invalid_reset': def(400, V, 'Password reset token is invalid', 'Reset with an unknown or used token'),
  'token:expired_reset': def(400, V, 'Password reset token has expired', 'Reset with a token older than 1 h'),
  'token:invalid_email_change': def(400, V, 'Email change token is invalid', 'Confirm an e-mail change with an unknown or used token'),
  'token:invalid_magic_link': def(401, A, 'Invalid or expired magic link', 'Magic-link verify with an unknown or used token', '003'),
  'token:expired_magic_link': def(401, A, 'Invalid or expired magic link', 'Magic-link verify after the link expired', '003'),
  // email
  'email:already_verified': def(400, V, 'Email is already verified', 'Resend verification for a verified account'),
  // auth
  'auth:last_method': def(403, F, 'Cannot remove last auth method', 'Removing the last way to sign in where no more specific code applies', '003'),
  // workspaces, projects, api keys, logs (seed 003 behaviours, codes named by DESIGN.md)
  'workspace:not_found': def(404, N, 'Workspace not found', 'A workspace that does not exist or of which the caller is not a member', '003'),
  'workspace:slug_already_exists': def(409, V, 'Slug already taken', 'Creating a workspace with a slug in use', '003'),
  'workspace:role_insufficient': def(403, F, 'Insufficient role', 'A member attempts an admin action', '003'),
  'workspace:owner_only': def(403, F, 'Only owner can transfer', 'A non-owner attempts an ownership transfer', '003'),
  'project:not_found': def(404, N, 'Project not found', 'A project that does not exist or is in a workspace the caller cannot see', '003'),
  'apikey:invalid': def(401, U, 'Invalid or revoked API key', 'An unknown, expired or revoked API key', '003'),
  'apikey:scope_insufficient': def(403, F, 'Insufficient scope', 'An API key without the scope the route needs', '003'),
  'apikey:not_found': def(404, N, 'API key not found', 'Revoking a key that does not exist in the project', '003'),
  'apikey:required': def(401, U, 'API key required', 'A route only an API key may call, called without one (or with an access token)', null),
  'apikey:ip_not_allowed': def(403, F, 'API key not allowed from this address', 'An API key used from an address outside its allowedIps', null),
  'workspace:member_not_found': def(404, N, 'Member not found', 'Changing, removing or transferring to a user who is not a member of the workspace', null),
  'workspace:owner_protected': def(403, F, 'The owner cannot be changed or removed; transfer ownership first', "Changing or removing the owner's membership, or the owner leaving, without a transfer", null),
  'workspace:already_member': def(409, V, 'User is already a member', 'Inviting an e-mail address whose account is already a member', null),
  'invitation:invalid': def(400, V, 'Invitation is invalid or has been used', 'Accepting an unknown, used or revoked invitation', null),
  'invitation:expired': def(400, V, 'Invitation has expired', 'Accepting an invitation after its 7-day lifetime', null),
  'invitation:email_mismatch': def(403, F, 'Invitation was sent to a different email address', 'Accepting an invitation while signed in with an account whose e-mail is not the invited one', null),
  'invitation:not_found': def(404, N, 'Invitation not found', 'Revoking an invitation that is unknown, no longer pending or of another workspace', null),
  'logs:invalid_source': def(400, 'INVALID_SOURCE', 'Invalid source: must be "d1" or "kv"', 'A log query with a source other than d1 or kv', '003'),
  'logs:queue_full': def(503, S, 'Log ingest is over capacity; retry later', 'Log ingest while the durable queue is over its bound (backpressure); Retry-After says when to retry', null),
  'logs:queue_unavailable': def(503, S, 'Log ingest is temporarily unavailable', 'Log ingest while the durable queue cannot take a batch (its store is down or closed)', null),
  // totp
  'totp:already_enabled': def(409, V, 'TOTP is already enabled', 'Setup or enable while 2FA is on'),
  'totp:not_enabled': def(400, V, 'TOTP is not enabled', 'Disable or regenerate backup codes while 2FA is off'),
  'totp:invalid_code': def(400, V, 'Invalid TOTP or backup code', 'A wrong, reused or stale TOTP or backup code'),
  'totp:temp_token_invalid': def(400, V, 'Temporary login token is invalid', 'Second login step with an unknown or used temporary token'),
  'totp:temp_token_expired': def(400, V, 'Temporary login token has expired', 'Second login step after the temporary token expired'),
  'totp:backup_code_exhausted': def(401, A, 'All backup codes used', 'A backup-code login when none are left'),
  'totp:secret_generation_failed': def(500, I, 'Failed to generate TOTP secret', 'The random source fails during 2FA setup'),
  'totp:qr_generation_failed': def(500, I, 'Failed to generate QR code', 'QR rendering fails during 2FA setup'),
  // post
  'post:not_found': def(404, N, 'Post not found', 'A post that does not exist or is not visible'),
  // file
  'file:upload_error': def(400, V, 'File upload failed', 'A malformed multipart body'),
  'file:not_found': def(400, V, 'File not found', 'An upload without a file field, or an unknown file id'),
  'file:read_error': def(400, V, 'File read failed', 'The upload stream fails part-way'),
  // general
  'general:bad_request': def(400, V, 'Bad request', 'Malformed JSON or an unsupported content type'),
  'general:validation_error': def(400, V, 'Invalid input', 'A body, query or path that fails its schema; details name every failing field'),
  'general:invalid_ip_address': def(400, V, 'Invalid IP address', 'An IP or CIDR that does not parse, or a malformed forwarded address'),
  FORBIDDEN: def(403, F, 'Access forbidden', 'An action refused where no more specific code applies'),
  FILE_TOO_LARGE: def(413, V, 'Payload too large', 'A body over the configured limit, stopped before it is read whole'),
  // rate limiting
  'rate_limit:exceeded': def(429, 'RATE_LIMITED', 'Too many requests', 'A caller over the rate limit of a route group'),
  'rate_limit:store_unavailable': def(503, S, 'Rate limiting is temporarily unavailable', 'A fail-closed rule (login, register) while the rate-limit store is down', null),
  // turnstile
  'turnstile:token_missing': def(400, V, 'Turnstile token not provided', 'A protected form posted without a Turnstile token'),
  'turnstile:verification_failed': def(403, F, 'Turnstile verification failed', 'Siteverify rejects the token'),
  'turnstile:service_error': def(503, S, 'Turnstile service unavailable', 'Siteverify is unreachable, slow or answers garbage'),
  // search
  'meilisearch:query_failed': def(500, I, 'Search query failed', 'The search backend fails a query'),
  // event stream
  'eventstream:publish_failed': def(503, S, 'Event publish failed', 'The event stream refuses a publish'),
  // worker / system
  'worker:connection_failed': def(503, S, 'Worker service connection failed', 'The worker process is unreachable'),
  'worker:response_invalid': def(502, S, 'Worker returned invalid response', 'The worker answers something malformed'),
  'worker:verification_email_send_failed': def(502, S, 'Verification email failed to send', 'SMTP refuses the verification mail'),
  'worker:password_reset_email_send_failed': def(502, S, 'Password reset email failed to send', 'SMTP refuses the password reset mail'),
  'system:internal_error': def(500, I, 'Internal server error', 'An unexpected exception', '000', {
    seedStatus: 400,
    why: 'A server fault is never the client’s (seed 003 says 500).',
  }),
  'system:hashing_error': def(500, I, 'Password hashing failed', 'The password hasher fails'),
  'system:not_found': def(404, N, 'Resource not found', 'A path no route serves, or a method the path does not take'),
  'system:transaction_error': def(500, I, 'Database transaction failed', 'A database transaction fails to commit'),
  'system:database_error': def(500, I, 'Database error', 'A database statement fails'),
  'system:token_creation_error': def(500, I, 'Token creation failed', 'Signing or storing a token fails'),
  'system:not_ready': def(503, S, 'Service not ready', 'A backing store does not answer the readiness check', null),
} as const satisfies Record<string, ErrorDef>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(value: string): value is ErrorCode {
  return Object.hasOwn(ERROR_CODES, value);
}

export function errorDef(code: ErrorCode): ErrorDef {
  return ERROR_CODES[code];
}
