import type { Kysely } from 'kysely';

// Migrations use only the schema builder's portable types so one file serves both dialects.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('basalt_instance')
    .addColumn('key', 'varchar(100)', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('basalt_instance').execute();
}
