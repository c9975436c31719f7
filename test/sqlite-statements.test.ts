import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { openDatabase } from '../db/connect.js';
import { wrapSqlite } from '../db/sqlite.js';

let sqlite: SqliteDatabase.Database;
afterEach(() => sqlite?.close());

/** A better-sqlite3 database that counts what it prepares. */
function counting() {
  sqlite = new SqliteDatabase(':memory:');
  sqlite.exec('create table t (id integer primary key, flag integer, at text); insert into t values (1, 1, null), (2, 0, null), (3, 1, null)');
  const prepared: string[] = [];
  const spy = new Proxy(sqlite, {
    get(target, property) {
      if (property === 'prepare')
        return (sql: string) => {
          prepared.push(sql);
          return target.prepare(sql);
        };
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { spy, prepared };
}

describe('SQLite prepared statements', () => {
  it('prepares a statement once per SQL text and reuses it with new parameters', () => {
    const { spy, prepared } = counting();
    const db = wrapSqlite(spy, { statementCache: 10 });
    const byId = 'select id from t where id = ?';
    expect(db.prepare(byId).all([1])).toEqual([{ id: 1 }]);
    expect(db.prepare(byId).all([3])).toEqual([{ id: 3 }]);
    expect(db.prepare('select count(*) as n from t where flag = ?').all([true])).toEqual([{ n: 2 }]);
    expect(prepared).toEqual([byId, 'select count(*) as n from t where flag = ?']);
  });

  it('keeps at most the configured number, dropping the least recently used', () => {
    const { spy, prepared } = counting();
    const db = wrapSqlite(spy, { statementCache: 2 });
    for (const sql of ['select 1', 'select 2', 'select 1', 'select 3', 'select 2']) db.prepare(sql).all([]);
    expect(prepared).toEqual(['select 1', 'select 2', 'select 3', 'select 2']);
  });

  it('prepares every statement anew when the cache is 0', () => {
    const { spy, prepared } = counting();
    const db = wrapSqlite(spy, { statementCache: 0 });
    db.prepare('select 1').all([]);
    db.prepare('select 1').all([]);
    expect(prepared).toHaveLength(2);
  });

  it('lets two iterations of one SQL text run at once', () => {
    const { spy } = counting();
    const db = wrapSqlite(spy, { statementCache: 10 });
    const sql = 'select id from t order by id';
    const first = db.prepare(sql).iterate([]);
    const second = db.prepare(sql).iterate([]);
    expect(first.next().value).toEqual({ id: 1 });
    expect([...second]).toEqual([{ id: 1 }, { id: 2 }, { id: 3 }]);
    expect([...first]).toEqual([{ id: 2 }, { id: 3 }]);
  });

  it('still binds booleans and dates as SQLite can store them', () => {
    const { spy } = counting();
    const db = wrapSqlite(spy, { statementCache: 10 });
    db.prepare('update t set at = ? where flag = ?').run([new Date('2026-01-05T09:00:00Z'), false]);
    expect(db.prepare('select at from t where id = ?').all([2])).toEqual([{ at: '2026-01-05T09:00:00.000Z' }]);
  });
});

describe('SQLite rows made from raw values', () => {
  // Names that a literal could get wrong: repeated, integer-like (they come first in any
  // object), quoted, unicode, an Object.prototype member, empty, and
  // `__proto__` (left to better-sqlite3, whose handling of it differs between Node versions).
  const awkward = [
    `select 1 as a, 2 as b, 3 as a`,
    `select 'x' as "2", 'y' as "1", 'z' as b`,
    `select 1 as "it's", 2 as "a""b", 3 as "\\n", 4 as "ü  ", 5 as ""`,
    `select 1 as constructor, 2 as toString, 3 as hasOwnProperty`,
    `select 1 as "__proto__", 2 as b`,
    `select id, flag, at, id * 2 from t order by id`,
    `select * from t where id > ? order by id`,
  ];

  it.each(awkward)('makes the objects better-sqlite3 makes: %s', (sql) => {
    const { spy } = counting();
    const db = wrapSqlite(spy, { statementCache: 10 });
    const parameters = sql.includes('?') ? [1] : [];
    const made = db.prepare(sql).all(parameters) as Record<string, unknown>[];
    const theirs = sqlite.prepare(sql).all(...parameters) as Record<string, unknown>[];
    // Twice: the first run makes the row function, the second uses the kept one.
    expect(db.prepare(sql).all(parameters)).toEqual(theirs);
    expect(made).toEqual(theirs);
    expect(made.map((row) => Object.keys(row))).toEqual(theirs.map((row) => Object.keys(row)));
    expect(made.map((row) => Object.getPrototypeOf(row))).toEqual(theirs.map((row) => Object.getPrototypeOf(row)));
    expect(made.length).toBeGreaterThan(0);
  });

  it('sees the columns a change of schema made through it', () => {
    const { spy } = counting();
    const db = wrapSqlite(spy, { statementCache: 10 });
    const all = 'select * from t where id = ?';
    expect(db.prepare(all).all([1])).toEqual([{ id: 1, flag: 1, at: null }]);
    db.prepare('alter table t rename column flag to marked').run([]);
    expect(db.prepare(all).all([1])).toEqual([{ id: 1, marked: 1, at: null }]);
  });

  it('sees the columns a change of schema made by another connection', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatherql-sqlite-'));
    try {
      const file = join(dir, 'db.sqlite');
      sqlite = new SqliteDatabase(file);
      sqlite.exec('create table t (id integer primary key, flag integer); insert into t values (1, 1)');
      const db = wrapSqlite(sqlite, { statementCache: 10 });
      const all = 'select * from t';
      expect(db.prepare(all).all([])).toEqual([{ id: 1, flag: 1 }]);
      const other = new SqliteDatabase(file);
      other.exec(`alter table t add column note text default 'n'`);
      other.close();
      expect(db.prepare(all).all([])).toEqual([{ id: 1, flag: 1, note: 'n' }]);
    } finally {
      sqlite.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('leaves statements that are not kept to better-sqlite3', () => {
    const { spy } = counting();
    const db = wrapSqlite(spy, { statementCache: 0 });
    expect(db.prepare('select 1 as a, 2 as a').all([])).toEqual([{ a: 2 }]);
  });
});

describe('SQLite transactions beside another process on the file', () => {
  it('take the write lock as they begin: a read, then another connection’s commit, then a write still succeeds', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'gatherql-begin-'));
    const file = join(folder, 'shared.db');
    const handle = openDatabase(`file:${file}`);
    // Another process on the same file (WORKERS), which does not wait for a lock.
    const other = new SqliteDatabase(file, { timeout: 0 });
    try {
      await handle.db.schema
        .createTable('t')
        .addColumn('id', 'integer', (column) => column.primaryKey())
        .execute();
      const refused: string[] = [];
      await handle.db.transaction().execute(async (trx) => {
        const before = await trx
          .selectFrom('t' as never)
          .select(sql<number>`count(*)`.as('n'))
          .executeTakeFirstOrThrow();
        expect(before).toEqual({ n: 0 });
        try {
          other.prepare('insert into t (id) values (1)').run();
        } catch (error) {
          refused.push((error as { code: string }).code);
        }
        await trx
          .insertInto('t' as never)
          .values({ id: 2 } as never)
          .execute();
      });
      // The other writer waited its turn; the transaction, which read first, was not refused.
      expect(refused).toEqual(['SQLITE_BUSY']);
      expect(other.prepare('select id from t').pluck().all()).toEqual([2]);
    } finally {
      other.close();
      await handle.close();
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
