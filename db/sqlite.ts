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

/**
 * Adapts better-sqlite3 to Kysely's SqliteDatabase so that the same queries run on
 * both dialects: better-sqlite3 refuses to bind booleans and Dates, which pg accepts,
 * so they are bound as 0/1 and ISO-8601 text here. Prepared statements are kept in a
 * bounded cache: preparing is SQLite's parse and plan, a large share of a small query.
 */
export function wrapSqlite(sqlite: BetterSqlite3.Database, options: SqliteOptions = {}): SqliteDatabase {
  const size = options.statementCache ?? 0;
  const statements = size > 0 ? new LRUCache<string, BetterSqlite3.Statement>({ max: size }) : null;
  const prepared = (sql: string) => {
    if (!statements) return sqlite.prepare(sql);
    let statement = statements.get(sql);
    if (!statement) {
      statement = sqlite.prepare(sql);
      statements.set(sql, statement);
    }
    return statement;
  };
  return {
    close: () => {
      statements?.clear();
      sqlite.close();
    },
    prepare(sql: string): SqliteStatement {
      const statement = prepared(sql);
      return {
        reader: statement.reader,
        all: (parameters) => statement.all(...bindable(parameters)),
        run: (parameters) => statement.run(...bindable(parameters)),
        // An iterating statement is busy until the iteration ends: a shared one would refuse
        // a second caller, so streams get a statement of their own.
        iterate: (parameters) => sqlite.prepare(sql).iterate(...bindable(parameters)),
      };
    },
  };
}

function bindable(parameters: ReadonlyArray<unknown>): unknown[] {
  return parameters.map((value) => {
    if (typeof value === 'boolean') return value ? 1 : 0;
    if (value instanceof Date) return value.toISOString();
    return value;
  });
}
