import type { ColumnType, Generated, Selectable } from 'kysely';

/**
 * A timestamp column. PostgreSQL returns `timestamptz(3)` as a Date, SQLite keeps
 * the ISO-8601 text we wrote; both are written as ISO-8601 strings.
 */
export type Timestamp = ColumnType<Date | string, string, string>;

/** PostgreSQL answers `boolean`; SQLite stores 0/1. Both accept a boolean on write. */
export type BooleanColumn = ColumnType<boolean | number, boolean, boolean>;

export type Role = 'USER' | 'ADMIN';

export interface UsersTable {
  id: Generated<number>;
  /** As the user typed it; uniqueness is on lower(username). */
  username: string;
  /** Stored lower-cased; unique. */
  email: string;
  password_hash: string;
  role: ColumnType<Role, Role | undefined, Role>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface ProfilesTable {
  user_id: number;
  display_name: string | null;
  bio: string | null;
  updated_at: Timestamp;
}

export interface PostsTable {
  id: Generated<number>;
  author_id: number;
  title: string;
  content: string;
  published: BooleanColumn;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export type JobState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface JobsTable {
  id: string;
  kind: string;
  /** JSON. */
  payload: string;
  state: JobState;
  run_at: Timestamp;
  attempts: ColumnType<number, number | undefined, number>;
  lease_owner: string | null;
  lease_until: Timestamp | null;
  last_error: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface SchedulesTable {
  name: string;
  every_ms: number;
  next_run_at: Timestamp;
  last_run_at: Timestamp | null;
  last_outcome: string | null;
}

export type ReportStateColumn = 'QUEUED' | 'RUNNING' | 'WAITING_FOR_QUOTA' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';

export interface CityReportsTable {
  id: Generated<number>;
  owner_id: number;
  state: ReportStateColumn;
  /** JSON array of the names as asked. */
  names: string;
  /** Comma-separated CityPart values. */
  parts: string;
  total: number;
  done: ColumnType<number, number | undefined, number>;
  upstream_calls: ColumnType<number, number | undefined, number>;
  resumes_at: Timestamp | null;
  failure: string | null;
  failures: ColumnType<number, number | undefined, number>;
  cancel_requested: ColumnType<boolean | number, boolean | undefined, boolean>;
  run_token: string | null;
  created_at: Timestamp;
  started_at: Timestamp | null;
  finished_at: Timestamp | null;
  updated_at: Timestamp;
}

export interface CityReportRowsTable {
  report_id: number;
  position: number;
  /** JSON. */
  result: string;
}

export interface Database {
  users: UsersTable;
  profiles: ProfilesTable;
  posts: PostsTable;
  jobs: JobsTable;
  schedules: SchedulesTable;
  city_reports: CityReportsTable;
  city_report_rows: CityReportRowsTable;
}

/** A post as a SELECT of all its columns returns it, on either dialect. */
export type PostRow = Selectable<PostsTable>;
