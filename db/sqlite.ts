import type BetterSqlite3 from 'better-sqlite3';
import type { SqliteDatabase, SqliteStatement } from 'kysely';
import { LRUCache } from 'lru-cache';

export interface SqliteOptions {
  /**
   * Prepared statements kept for reuse, by SQL text; 0 prepares every statement anew.
   * Kysely sends the same text for the same query shape, so a few hundred cover an app.
   */
  statementCache?: number;
}

/** A kept statement, and for a reader whose rows are made here, how to make them. */
interface Kept {
  statement: BetterSqlite3.Statement;
  /** Null: better-sqlite3 makes the rows (a statement not kept, one that writes, or a column named `__proto__`). */
  rows: RowShape | null;
}

interface RowShape {
  columns: number;
  /** Makes one row's object from its values in column order. */
  make: (values: unknown[]) => Record<string, unknown>;
}

/**
 * Adapts better-sqlite3 to Kysely's SqliteDatabase so that the same queries run on
 * both dialects: better-sqlite3 refuses to bind booleans and Dates, which pg accepts,
 * so they are bound as 0/1 and ISO-8601 text here. Prepared statements are kept in a
 * bounded cache: preparing is SQLite's parse and plan, a large share of a small query.
 *
 * A kept reader returns its rows as arrays (better-sqlite3's raw mode) and each row's object
 * is made here, by a function made once per statement that writes the object as one literal:
 * better-sqlite3 sets each column on a new object through V8's API, which took about a quarter
 * of a page of posts (docs/performance-notes.md). The objects are the same: the same keys in
 * the same order, a later column of the same name winning, as better-sqlite3 makes them.
 */
export function wrapSqlite(sqlite: BetterSqlite3.Database, options: SqliteOptions = {}): SqliteDatabase {
  const size = options.statementCache ?? 0;
  const statements = size > 0 ? new LRUCache<string, Kept>({ max: size }) : null;
  const kept = (sql: string): Kept => {
    let entry = statements?.get(sql);
    if (!entry) {
      const statement = sqlite.prepare(sql);
      entry = { statement, rows: null };
      if (statements) {
        entry.rows = statement.reader ? rowShapeOf(statement) : null;
        statements.set(sql, entry);
      }
    }
    return entry;
  };
  return {
    close: () => {
      statements?.clear();
      sqlite.close();
    },
    prepare(text: string): SqliteStatement {
      // Kysely begins a transaction with a plain BEGIN, which takes the write lock only at the
      // first write. Another process on the file (WORKERS) that commits between a transaction's
      // read and its write then fails that write at once with SQLITE_BUSY (a snapshot gone
      // stale is not waited for). BEGIN IMMEDIATE takes the lock first, waiting busy_timeout.
      const sql = text === 'begin' ? 'begin immediate' : text;
      const entry = kept(sql);
      const { statement } = entry;
      return {
        reader: statement.reader,
        all: (parameters) => {
          const values = bindable(parameters);
          if (!entry.rows) return statement.all(...values);
          const rows = statement.all(...values) as unknown[][];
          if (rows.length === 0 || rows[0]?.length === entry.rows.columns) return madeRows(rows, entry.rows.make);
          // SQLite prepared the statement again after a change of schema made elsewhere, and
          // its columns changed: read them again, and the rows with them.
          entry.rows = rowShapeOf(statement);
          const again = statement.all(...values);
          return entry.rows ? madeRows(again as unknown[][], entry.rows.make) : again;
        },
        run: (parameters) => {
          const result = statement.run(...bindable(parameters));
          // A change of schema may change the columns of a kept `select *`: every kept
          // statement is prepared again, with its columns read again.
          if (changesSchema(sql)) statements?.clear();
          return result;
        },
        // An iterating statement is busy until the iteration ends: a shared one would refuse
        // a second caller, so streams get a statement of their own.
        iterate: (parameters) => sqlite.prepare(sql).iterate(...bindable(parameters)),
      };
    },
  };
}

function madeRows(rows: unknown[][], make: RowShape['make']): Record<string, unknown>[] {
  const objects = new Array<Record<string, unknown>>(rows.length);
  for (let index = 0; index < rows.length; index++) objects[index] = make(rows[index] as unknown[]);
  return objects;
}

/**
 * Turns `statement` to raw mode and makes its row function, or leaves its rows to
 * better-sqlite3 (null) when a column is named `__proto__`: a literal sets the prototype with
 * that key, and better-sqlite3 does so on some Node versions and makes an own property on others.
 */
function rowShapeOf(statement: BetterSqlite3.Statement): RowShape | null {
  const names = statement.columns().map((column) => column.name);
  if (names.includes('__proto__')) {
    statement.raw(false);
    return null;
  }
  statement.raw(true);
  const fields = names.map((name, index) => `${JSON.stringify(name)}: values[${index}]`);
  // One literal per statement: every object it makes has the same shape, known to V8 at once.
  const make = new Function('values', `return { ${fields.join(', ')} };`) as RowShape['make'];
  return { columns: names.length, make };
}

function changesSchema(sql: string): boolean {
  return /^\s*(create|alter|drop)\b/i.test(sql);
}

function bindable(parameters: ReadonlyArray<unknown>): unknown[] {
  return parameters.map((value) => {
    if (typeof value === 'boolean') return value ? 1 : 0;
    if (value instanceof Date) return value.toISOString();
    return value;
  });
}
