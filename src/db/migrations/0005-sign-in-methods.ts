import type { Kysely } from 'kysely';

// Sign-in methods beyond the password: OAuth / OpenID Connect connections and TOTP 2FA.
// Magic links reuse email_tokens (purpose 'magic_link'); OAuth state, pending sign-ups and
// TOTP temporary tokens are short-lived and live in the KV store.
export async function up(db: Kysely<unknown>): Promise<void> {
  // One provider account belongs to at most one user, and a user has at most one connection
  // per provider: both are unique constraints, so concurrent links cannot double up.
  await db.schema
    .createTable('oauth_connections')
    .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
    .addColumn('user_id', 'varchar(40)', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('provider', 'varchar(40)', (c) => c.notNull())
    .addColumn('provider_user_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('provider_email', 'varchar(320)')
    .addColumn('provider_username', 'varchar(255)')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_used_at', 'bigint')
    .addUniqueConstraint('oauth_conn_account_uq', ['provider', 'provider_user_id'])
    .addUniqueConstraint('oauth_conn_user_provider_uq', ['user_id', 'provider'])
    .execute();

  // The TOTP secret is encrypted (AES-256-GCM, key derived from the signing key): it must be
  // read back to check codes, so it cannot be hashed. `enabled_at` null = set up, not yet
  // confirmed. `last_used_step` refuses a code's replay within its window.
  await db.schema
    .createTable('totp_secrets')
    .addColumn('user_id', 'varchar(40)', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
    .addColumn('secret_ciphertext', 'text', (c) => c.notNull())
    .addColumn('enabled_at', 'bigint')
    .addColumn('last_used_step', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  // Backup codes: SHA-256 of each code; `used_at` set once, by a conditional update.
  await db.schema
    .createTable('totp_backup_codes')
    .addColumn('user_id', 'varchar(40)', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('code_hash', 'varchar(64)', (c) => c.notNull())
    .addColumn('used_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('totp_backup_codes_pk', ['user_id', 'code_hash'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('totp_backup_codes').execute();
  await db.schema.dropTable('totp_secrets').execute();
  await db.schema.dropTable('oauth_connections').execute();
}
