import type { Generated } from 'kysely';

/**
 * The SQL store's tables, as Kysely sees them. Columns are dialect-neutral: ids and
 * timestamps are text / integer epoch ms so SQLite and PostgreSQL read the same values.
 */
export interface InstanceTable {
  key: string;
  value: string;
  updated_at: number;
}

export type UserRole = 'user' | 'admin';

export interface UsersTable {
  id: string;
  email: string;
  email_verified_at: number | null;
  handle: string;
  password_hash: string | null;
  role: UserRole;
  display_name: string | null;
  bio: string | null;
  avatar_url: string | null;
  banned_at: number | null;
  ban_reason: string | null;
  ban_expires_at: number | null;
  created_at: number;
  updated_at: number;
}

export type EmailTokenPurpose = 'verify_email' | 'reset_password' | 'email_change' | 'magic_link';

export interface EmailTokensTable {
  token_hash: string;
  user_id: string;
  purpose: EmailTokenPurpose;
  email: string;
  previous_email: string | null;
  expires_at: number;
  used_at: number | null;
  created_at: number;
}

/** The embedded mail transport's outbox (src/adapters/mail/outbox-mail-transport.ts). */
export interface MailOutboxTable {
  id: string;
  template: string;
  from_address: string;
  to_address: string;
  subject: string;
  text_body: string;
  html_body: string;
  created_at: number;
}

/** Teams (src/db/migrations/0004-teams.ts, docs/teams.md). */
export type WorkspaceRole = 'owner' | 'admin' | 'member';

export interface WorkspacesTable {
  id: string;
  slug: string;
  name: string;
  created_at: number;
  updated_at: number;
}

export interface WorkspaceMembersTable {
  workspace_id: string;
  user_id: string;
  role: WorkspaceRole;
  created_at: number;
  updated_at: number;
}

export interface WorkspaceInvitationsTable {
  id: string;
  workspace_id: string;
  email: string;
  role: Exclude<WorkspaceRole, 'owner'>;
  token_hash: string;
  invited_by: string | null;
  created_at: number;
  expires_at: number;
  accepted_at: number | null;
  accepted_by: string | null;
  revoked_at: number | null;
}

export interface ProjectsTable {
  id: string;
  workspace_id: string;
  name: string;
  created_at: number;
  updated_at: number;
}

export interface ApiKeysTable {
  id: string;
  project_id: string;
  name: string;
  prefix: string;
  key_hash: string;
  /** JSON array of scope names. */
  scopes: string;
  /** JSON array of canonical CIDRs; null: any address. */
  allowed_ips: string | null;
  expires_at: number | null;
  created_by: string | null;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

/** Content (src/db/migrations/0006-content.ts, docs/content.md). */
export type PostVisibility = 'public' | 'private';

export interface PostsTable {
  id: string;
  author_id: string;
  title: string | null;
  body: string;
  visibility: PostVisibility;
  /** JSON array of file ids. */
  attachments: string;
  created_at: number;
  updated_at: number;
}

export interface FilesTable {
  id: string;
  owner_id: string;
  name: string;
  size: number;
  content_type: string;
  sha256: string;
  width: number | null;
  height: number | null;
  blob_key: string;
  created_at: number;
}

export interface EventOutboxTable {
  id: string;
  type: string;
  /** JSON EventAudience. */
  audience: string;
  /** JSON payload. */
  data: string;
  created_at: number;
  published_at: number | null;
}

/** A user's link to an OAuth / OpenID Connect provider account (migration 0005). */
export interface OAuthConnectionsTable {
  id: string;
  user_id: string;
  provider: string;
  provider_user_id: string;
  provider_email: string | null;
  provider_username: string | null;
  created_at: number;
  last_used_at: number | null;
}

/** TOTP 2FA: the encrypted secret; `enabled_at` null while set up but not confirmed. */
export interface TotpSecretsTable {
  user_id: string;
  secret_ciphertext: string;
  enabled_at: number | null;
  last_used_step: number | null;
  created_at: number;
  updated_at: number;
}

export interface TotpBackupCodesTable {
  user_id: string;
  code_hash: string;
  used_at: number | null;
  created_at: number;
}

/** Logs (src/db/migrations/0007-logs.ts, docs/logs.md). `attributes`: JSON text (jsonb on PostgreSQL, read back as an object). */
export interface LogsTable {
  id: number;
  project_id: string;
  ts: number;
  /** 0 trace, 1 debug, 2 info, 3 warn, 4 error, 5 fatal. */
  level: number;
  service: string | null;
  trace_id: string | null;
  message: string;
  attributes: string | Record<string, unknown> | null;
  received_at: number;
}

/** Entries per project, minute (epoch ms / 60 000) and level; what histograms read. */
export interface LogCountsTable {
  project_id: string;
  minute: number;
  level: number;
  n: number;
  /** Every row of this minute and level has an id in [min_id, max_id]. */
  min_id: number;
  max_id: number;
}

export interface LogSettingsTable {
  project_id: string;
  retention_days: number;
  updated_at: number;
}

export interface Database {
  basalt_instance: InstanceTable;
  mail_outbox: MailOutboxTable;
  users: UsersTable;
  email_tokens: EmailTokensTable;
  oauth_connections: OAuthConnectionsTable;
  totp_secrets: TotpSecretsTable;
  totp_backup_codes: TotpBackupCodesTable;
  workspaces: WorkspacesTable;
  workspace_members: WorkspaceMembersTable;
  workspace_invitations: WorkspaceInvitationsTable;
  projects: ProjectsTable;
  api_keys: ApiKeysTable;
  posts: PostsTable;
  files: FilesTable;
  event_outbox: EventOutboxTable;
  logs: LogsTable;
  log_counts: LogCountsTable;
  log_settings: LogSettingsTable;
}

export type { Generated };
