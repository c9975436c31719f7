import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import {
  AliasNode,
  type CompiledQuery,
  DeleteQueryNode,
  InsertQueryNode,
  Kysely,
  type KyselyPlugin,
  type LogEvent,
  type OperationNode,
  PostgresDialect,
  type QueryId,
  SqliteDialect,
  TableNode,
  UpdateQueryNode,
} from 'kysely';
import type pg from 'pg';
import type { Database } from './database.js';
import { leavesResults, readDirectly } from './prepared.js';
import { wrapSqlite } from './sqlite.js';

export type DialectName = 'sqlite' | 'postgres';

/** Who sent a statement: a request (or a script), or the gateway's background work. */
export type StatementOrigin = 'request' | 'background';

/**
 * Hears of one statement sent through an observed handle, after it settled: its duration, and
 * Kysely's account of it (the compiled statement, and the error when it failed).
 */
export type StatementObserver = (durationMs: number, event: LogEvent) => void;

export interface DatabaseHandle {
  db: Kysely<Database>;
  dialect: DialectName;
  /** True for `file:` databases, which may be seeded with demo data on first start. */
  embeddedFile: boolean;
  /**
   * The same database, with every statement sent through it also reported to `onStatement`
   * with its duration, failed ones included: how one request learns its own SQL time and
   * traces its statements, with no async scope. Cheap enough to make per request;
   * transactions begun on it report too.
   */
  observed(onStatement: StatementObserver): Kysely<Database>;
  /**
   * The same database for the gateway's own work in the background (the job engine, report
   * runs): its statements are counted as `background`, apart from the requests' (see
   * DatabaseOptions.onQuery).
   */
  background: Kysely<Database>;
  /** Closes the pool or the SQLite file. Safe to call twice. */
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** Called once per SQL statement sent, after it settles (also when it fails), with who sent it. */
  onQuery?: (event: LogEvent, origin: StatementOrigin) => void;
  /**
   * Called after every statement that may have changed data (anything but a SELECT), with the
   * table it wrote when it says (null for raw SQL and DDL), so that whoever keeps answers built
   * from the data can forget them.
   */
  onWrite?: (table: string | null) => void;
  /** Connection-level errors of idle PostgreSQL clients; without a listener they crash the process. */
  onPoolError?: (error: Error) => void;
  /** PostgreSQL pool size. */
  poolSize?: number;
  /** SQLite: prepared statements kept for reuse (see wrapSqlite); 0 prepares each anew. Default 500. */
  statementCache?: number;
}

// COUNT(*) and BIGINT come back from pg as strings; our counts fit in a double.
const INT8_OID = 20;

/**
 * node-postgres, loaded on the first PostgreSQL database opened: a gateway on its embedded
 * SQLite file never holds it in memory. Loaded synchronously, as opening a database is.
 */
let postgres: { Pool: typeof pg.Pool; types: pg.CustomTypesConfig } | undefined;
function loadPostgres() {
  if (!postgres) {
    const { Pool, types } = createRequire(import.meta.url)('pg') as typeof pg;
    const getTypeParser = ((oid: number, format?: 'text' | 'binary') =>
      oid === INT8_OID ? (value: string) => Number(value) : types.getTypeParser(oid, format as 'text')) as typeof types.getTypeParser;
    postgres = { Pool, types: { getTypeParser } };
  }
  return postgres;
}

/** Opens the database that DATABASE_URL names: SQLite for `file:`/`:memory:`, PostgreSQL for `postgres://`. */
export function openDatabase(url: string, options: DatabaseOptions = {}): DatabaseHandle {
  const { onQuery, onWrite } = options;
  // Kysely's log is process-wide; the id it gives each statement says which observer sent it.
  const observers = new WeakMap<QueryId, StatementObserver>();
  const background = new WeakSet<QueryId>();
  const log = (event: LogEvent) => {
    onQuery?.(event, background.has(event.query.queryId) ? 'background' : 'request');
    observers.get(event.query.queryId)?.(event.queryDurationMillis, event);
    if (onWrite && mayWrite(event.query)) onWrite(writtenTable(event.query.query));
  };
  const observe = (db: Kysely<Database>) => (onStatement: StatementObserver) => db.withPlugin(observerPlugin(observers, onStatement));
  const inBackground = (db: Kysely<Database>) => db.withPlugin(tagPlugin(background));

  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    const { Pool, types } = loadPostgres();
    const pool = new Pool({ connectionString: url, max: options.poolSize ?? 10, types });
    pool.on('error', (error) => options.onPoolError?.(error));
    // A client checked out of the pool (in a statement or a transaction) reports a lost
    // connection on itself, and with no listener that would end the process. Its queries are
    // rejected with the same error (that is how their callers hear of it), and an idle client's
    // error reaches the pool's listener above: this one only keeps the process alive.
    pool.on('connect', (client) => client.on('error', () => {}));
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), log });
    return { db, dialect: 'postgres', embeddedFile: false, observed: observe(db), background: inBackground(db), close: once(() => db.destroy()) };
  }

  const path = url === ':memory:' ? ':memory:' : resolve(url.slice('file:'.length));
  // One folder at most, as ./data/ on a first start (config.ts refuses a path deeper in folders that do not exist).
  if (path !== ':memory:' && !existsSync(dirname(path))) mkdirSync(dirname(path));
  const sqlite = new SqliteDatabase(path);
  // WAL lets readers run while a write is in progress; foreign keys are off by default in SQLite.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  const database = wrapSqlite(sqlite, { statementCache: options.statementCache ?? 500 });
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database }), log });
  // A read outside a transaction runs at once, as Kysely would run it once its turn came:
  // better-sqlite3 is synchronous, so no other statement can be under way meanwhile. In a
  // transaction it waits its turn through Kysely, so that it never sees the transaction's writes.
  readDirectly(db, (query) => {
    if (sqlite.inTransaction) return null;
    const started = performance.now();
    try {
      const statement = database.prepare(query.sql);
      if (!statement.reader) return null;
      const rows = statement.all(query.parameters);
      log({ level: 'query', isStream: false, query, queryDurationMillis: performance.now() - started });
      return { rows };
    } catch (error) {
      log({ level: 'error', error, query, queryDurationMillis: performance.now() - started });
      throw error;
    }
  });
  return {
    db,
    dialect: 'sqlite',
    embeddedFile: path !== ':memory:',
    observed: observe(db),
    background: inBackground(db),
    close: once(() => db.destroy()),
  };
}

/** Tags each statement with its observer as it is built; the log then reports its duration to it. */
function observerPlugin(observers: WeakMap<QueryId, StatementObserver>, onStatement: StatementObserver): KyselyPlugin {
  return leavesResults({
    transformQuery({ node, queryId }) {
      observers.set(queryId, onStatement);
      return node;
    },
    transformResult: async ({ result }) => result,
  });
}

/** Marks each statement built through a handle, so that the log can tell who sent it. */
function tagPlugin(tagged: WeakSet<QueryId>): KyselyPlugin {
  return leavesResults({
    transformQuery({ node, queryId }) {
      tagged.add(queryId);
      return node;
    },
    transformResult: async ({ result }) => result,
  });
}

/** The table an INSERT, UPDATE or DELETE built with the query builder writes; null when the statement does not say. */
function writtenTable(node: OperationNode): string | null {
  const name = (ref: OperationNode | undefined): string | null => {
    if (ref && AliasNode.is(ref)) return name(ref.node);
    return ref && TableNode.is(ref) ? ref.table.identifier.name : null;
  };
  if (InsertQueryNode.is(node)) return name(node.into);
  if (UpdateQueryNode.is(node)) return name(node.table);
  if (DeleteQueryNode.is(node)) return name(node.from.froms[0]);
  return null;
}

/** Anything but a plain read may change data: writes, DDL, and raw SQL that is not a SELECT. */
function mayWrite(query: CompiledQuery): boolean {
  if (query.query.kind === 'SelectQueryNode') return false;
  return !(query.query.kind === 'RawNode' && /^\s*select\b/i.test(query.sql));
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () => (closing ??= fn());
}
