import SqliteDatabase from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
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
