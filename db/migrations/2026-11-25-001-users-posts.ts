import { type ColumnDefinitionBuilder, type Kysely, PostgresAdapter, sql } from 'kysely';

// Typed on Kysely<any> and free of app imports: a migration must keep meaning what it
// meant on the day it was written, whatever the app's types become.

// biome-ignore lint/suspicious/noExplicitAny: a migration is written against the schema as it was, not today's Database type (Kysely's migration docs do the same).
export async function up(db: Kysely<any>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  const id = (col: ColumnDefinitionBuilder) => (postgres ? col.primaryKey().generatedByDefaultAsIdentity() : col.primaryKey().autoIncrement());
  // Millisecond precision on both sides: keyset cursors carry the timestamp as ISO-8601
  // text, and a microsecond the cursor cannot express would skip or repeat rows.
  const timestamp = postgres ? sql`timestamptz(3)` : sql`text`;

  await db.schema
    .createTable('users')
    .addColumn('id', 'integer', id)
    .addColumn('username', 'varchar(32)', (col) => col.notNull())
    .addColumn('email', 'varchar(254)', (col) => col.notNull())
    .addColumn('password_hash', 'text', (col) => col.notNull())
    .addColumn('role', 'varchar(16)', (col) => col.notNull().defaultTo('USER').check(sql`role in ('USER', 'ADMIN')`))
    .addColumn('created_at', timestamp, (col) => col.notNull())
    .addColumn('updated_at', timestamp, (col) => col.notNull())
    .execute();
  // The unique index decides duplicate usernames, case-insensitively, with no race.
  await db.schema.createIndex('users_username_lower_key').on('users').unique().expression(sql`lower(username)`).execute();
  await db.schema.createIndex('users_email_key').on('users').unique().column('email').execute();
  await db.schema.createIndex('users_created_at_id_idx').on('users').columns(['created_at', 'id']).execute();

  await db.schema
    .createTable('profiles')
    .addColumn('user_id', 'integer', (col) => col.primaryKey().references('users.id').onDelete('cascade'))
    .addColumn('display_name', 'varchar(100)')
    .addColumn('bio', 'text')
    .addColumn('updated_at', timestamp, (col) => col.notNull())
    .execute();

  await db.schema
    .createTable('posts')
    .addColumn('id', 'integer', id)
    .addColumn('author_id', 'integer', (col) => col.notNull().references('users.id').onDelete('cascade'))
    .addColumn('title', 'varchar(200)', (col) => col.notNull())
    .addColumn('content', 'text', (col) => col.notNull())
    .addColumn('published', 'boolean', (col) => col.notNull().defaultTo(false))
    .addColumn('created_at', timestamp, (col) => col.notNull())
    .addColumn('updated_at', timestamp, (col) => col.notNull())
    .execute();
  // The public listing: published posts, newest first.
  await db.schema.createIndex('posts_published_created_at_id_idx').on('posts').columns(['published', 'created_at', 'id']).execute();
  // An author's posts, newest first, and the per-author counts.
  await db.schema.createIndex('posts_author_id_created_at_id_idx').on('posts').columns(['author_id', 'created_at', 'id']).execute();
}

// biome-ignore lint/suspicious/noExplicitAny: a migration is written against the schema as it was, not today's Database type (Kysely's migration docs do the same).
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('posts').execute();
  await db.schema.dropTable('profiles').execute();
  await db.schema.dropTable('users').execute();
}
