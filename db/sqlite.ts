import type BetterSqlite3 from 'better-sqlite3';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

/**
 * Adapts better-sqlite3 to Kysely's SqliteDatabase so that the same queries run on
 * both dialects: better-sqlite3 refuses to bind booleans and Dates, which pg accepts,
 * so they are bound as 0/1 and ISO-8601 text here.
 */
export function wrapSqlite(sqlite: BetterSqlite3.Database): SqliteDatabase {
  return {
    close: () => sqlite.close(),
    prepare(sql: string): SqliteStatement {
      const statement = sqlite.prepare(sql);
      return {
        reader: statement.reader,
        all: (parameters) => statement.all(...bindable(parameters)),
        run: (parameters) => statement.run(...bindable(parameters)),
        iterate: (parameters) => statement.iterate(...bindable(parameters)),
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
