import type { Kysely } from 'kysely';

// Content: posts, files, and the event outbox (docs/content.md). The search index keeps its
// own structures (FTS5 file or PostgreSQL table), created by its adapter.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('files')
    .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
    .addColumn('owner_id', 'varchar(40)', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('name', 'varchar(255)', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('content_type', 'varchar(255)', (c) => c.notNull())
    .addColumn('sha256', 'varchar(64)', (c) => c.notNull())
    .addColumn('width', 'integer')
    .addColumn('height', 'integer')
    // Server-chosen blob key; never derived from anything the client sent.
    .addColumn('blob_key', 'varchar(80)', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('files_owner').on('files').columns(['owner_id', 'id']).execute();

  await db.schema
    .createTable('posts')
    .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
    .addColumn('author_id', 'varchar(40)', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('title', 'varchar(200)')
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('visibility', 'varchar(16)', (c) => c.notNull().defaultTo('public'))
    // JSON array of file ids, in the author's order.
    .addColumn('attachments', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('posts_author').on('posts').columns(['author_id', 'id']).execute();
  await db.schema.createIndex('posts_visibility').on('posts').columns(['visibility', 'id']).execute();

  // Domain events, written in the same transaction as the change; a relay publishes them
  // (published_at) and they stay for the retention window so clients can resume.
  await db.schema
    .createTable('event_outbox')
    .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
    .addColumn('type', 'varchar(64)', (c) => c.notNull())
    .addColumn('audience', 'text', (c) => c.notNull())
    .addColumn('data', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('published_at', 'bigint')
    .execute();
  await db.schema.createIndex('event_outbox_pending').on('event_outbox').columns(['published_at', 'id']).execute();
  await db.schema.createIndex('event_outbox_created').on('event_outbox').columns(['created_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('event_outbox').execute();
  await db.schema.dropTable('posts').execute();
  await db.schema.dropTable('files').execute();
}
