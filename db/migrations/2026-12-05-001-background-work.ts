import { type ColumnDefinitionBuilder, type Kysely, PostgresAdapter, sql } from 'kysely';

// Typed on Kysely<any> and free of app imports, as every migration (see the first one).

// biome-ignore lint/suspicious/noExplicitAny: a migration is written against the schema as it was, not today's Database type (Kysely's migration docs do the same).
export async function up(db: Kysely<any>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  const id = (col: ColumnDefinitionBuilder) => (postgres ? col.primaryKey().generatedByDefaultAsIdentity() : col.primaryKey().autoIncrement());
  const timestamp = postgres ? sql`timestamptz(3)` : sql`text`;

  // The embedded job engine's queue: a job is claimed by one process at a time, for a lease it
  // renews while it runs; a job whose lease ran out (its process died) is claimed again.
  await db.schema
    .createTable('jobs')
    .addColumn('id', 'varchar(100)', (col) => col.primaryKey())
    .addColumn('kind', 'varchar(50)', (col) => col.notNull())
    .addColumn('payload', 'text', (col) => col.notNull())
    .addColumn('state', 'varchar(16)', (col) => col.notNull().check(sql`state in ('queued', 'running', 'succeeded', 'failed', 'cancelled')`))
    .addColumn('run_at', timestamp, (col) => col.notNull())
    .addColumn('attempts', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('lease_owner', 'varchar(100)')
    .addColumn('lease_until', timestamp)
    .addColumn('last_error', 'text')
    .addColumn('created_at', timestamp, (col) => col.notNull())
    .addColumn('updated_at', timestamp, (col) => col.notNull())
    .execute();
  // What the next claim looks for: queued jobs that are due, and running ones whose lease ran out.
  await db.schema.createIndex('jobs_state_run_at_idx').on('jobs').columns(['state', 'run_at']).execute();

  // Tasks that run on a schedule: a tick is taken by moving next_run_at on, so one process runs it.
  await db.schema
    .createTable('schedules')
    .addColumn('name', 'varchar(100)', (col) => col.primaryKey())
    .addColumn('every_ms', 'integer', (col) => col.notNull())
    .addColumn('next_run_at', timestamp, (col) => col.notNull())
    .addColumn('last_run_at', timestamp)
    .addColumn('last_outcome', 'text')
    .execute();

  await db.schema
    .createTable('city_reports')
    .addColumn('id', 'integer', id)
    .addColumn('owner_id', 'integer', (col) => col.notNull().references('users.id').onDelete('cascade'))
    .addColumn('state', 'varchar(24)', (col) =>
      col.notNull().check(sql`state in ('QUEUED', 'RUNNING', 'WAITING_FOR_QUOTA', 'SUCCEEDED', 'FAILED', 'CANCELLED')`),
    )
    // The names as asked, a JSON array: read whole by the run, never queried by SQL.
    .addColumn('names', 'text', (col) => col.notNull())
    .addColumn('parts', 'varchar(64)', (col) => col.notNull())
    .addColumn('total', 'integer', (col) => col.notNull())
    .addColumn('done', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('upstream_calls', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('resumes_at', timestamp)
    .addColumn('failure', 'text')
    // Runs in a row that ended in an error: the report fails after a few, with the last one's message.
    .addColumn('failures', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('cancel_requested', 'boolean', (col) => col.notNull().defaultTo(false))
    // Names the run that may write the report: a run that lost its claim writes nothing more.
    .addColumn('run_token', 'varchar(64)')
    .addColumn('created_at', timestamp, (col) => col.notNull())
    .addColumn('started_at', timestamp)
    .addColumn('finished_at', timestamp)
    .addColumn('updated_at', timestamp, (col) => col.notNull())
    .execute();
  // A user's reports, newest first; and the active ones that REPORTS_ACTIVE_PER_USER counts.
  await db.schema.createIndex('city_reports_owner_created_at_id_idx').on('city_reports').columns(['owner_id', 'created_at', 'id']).execute();
  await db.schema.createIndex('city_reports_state_finished_at_idx').on('city_reports').columns(['state', 'finished_at']).execute();

  await db.schema
    .createTable('city_report_rows')
    .addColumn('report_id', 'integer', (col) => col.notNull().references('city_reports.id').onDelete('cascade'))
    .addColumn('position', 'integer', (col) => col.notNull())
    // What `cities` answered for the name when it was gathered, as JSON.
    .addColumn('result', 'text', (col) => col.notNull())
    .addPrimaryKeyConstraint('city_report_rows_pkey', ['report_id', 'position'])
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: a migration is written against the schema as it was, not today's Database type (Kysely's migration docs do the same).
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('city_report_rows').execute();
  await db.schema.dropTable('city_reports').execute();
  await db.schema.dropTable('schedules').execute();
  await db.schema.dropTable('jobs').execute();
}
