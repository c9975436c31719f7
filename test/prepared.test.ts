import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatabaseHandle, openDatabase } from '../db/connect.js';
import { runPrepared, SHAPES_KEPT } from '../db/prepared.js';
import { dialects } from './helpers/databases.js';

// A statement compiled once per shape and dialect, run again with new parameters.

for (const dialect of dialects) {
  describe.skipIf(!dialect.available)(`runPrepared on ${dialect.name}`, () => {
    let url: string;
    let database: DatabaseHandle;
    const kinds: string[] = [];
    beforeAll(async () => {
      url = await dialect.createDatabase();
      database = openDatabase(url, { onQuery: (_event, kind) => kinds.push(kind) });
      await sql`create table things (id integer primary key, name text not null, shown boolean not null)`.execute(database.db);
      await sql`insert into things (id, name, shown) values (1, 'one', ${true}), (2, 'two', ${false}), (3, 'three', ${true}), (4, 'four', ${true})`.execute(
        database.db,
      );
    });
    afterAll(async () => {
      await database?.close();
      await dialect.dropDatabase(url);
    });

    /** Shown things after `after`, at most `limit`; counts how often its statement is built. */
    const built: string[] = [];
    const shownAfter = (db: DatabaseHandle['db'], after: number, limit: number) =>
      runPrepared(
        db,
        'shown things',
        () => {
          built.push('shown things');
          return sql<{ id: number; name: string }>`select id, name from things where shown = ${true} and id > ${after} order by id limit ${limit}`;
        },
        [true, after, limit],
      );

    it('builds a shape once, and binds each run its own parameters', async () => {
      built.length = 0;
      expect((await shownAfter(database.db, 0, 2)).rows).toEqual([
        { id: 1, name: 'one' },
        { id: 3, name: 'three' },
      ]);
      expect((await shownAfter(database.db, 1, 5)).rows).toEqual([
        { id: 3, name: 'three' },
        { id: 4, name: 'four' },
      ]);
      // Another handle of the same database (a request's) shares the compiled text.
      expect(
        (
          await shownAfter(
            database.observed(() => {}),
            3,
            5,
          )
        ).rows,
      ).toEqual([{ id: 4, name: 'four' }]);
      expect(built).toEqual(['shown things']);
    });

    it('keeps each shape apart: a statement of another shape is built for itself', async () => {
      const byIds = (ids: number[]) =>
        runPrepared(database.db, `things by ${ids.length} ids`, () => sql<{ id: number }>`select id from things where id in (${sql.join(ids)}) order by id`, [
          ...ids,
        ]);
      expect((await byIds([2])).rows).toEqual([{ id: 2 }]);
      expect((await byIds([1, 4])).rows).toEqual([{ id: 1 }, { id: 4 }]);
      expect((await byIds([3])).rows).toEqual([{ id: 3 }]);
    });

    it("refuses, on a shape's first run, parameters that are not its statement's, and runs nothing", async () => {
      const before = kinds.length;
      const swapped = runPrepared(database.db, 'swapped parameters', () => sql`select id from things where id > ${1} limit ${2}`, [2, 1]);
      await expect(swapped).rejects.toThrow('runPrepared: the parameters given for "swapped parameters" are not those of its statement');
      const missing = runPrepared(database.db, 'a parameter missing', () => sql`select id from things where id > ${1} limit ${2}`, [1]);
      await expect(missing).rejects.toThrow('"a parameter missing"');
      const extra = runPrepared(database.db, 'a parameter too many', () => sql`select id from things where id > ${1} limit ${2}`, [1, 2, 3]);
      await expect(extra).rejects.toThrow('"a parameter too many"');
      expect(kinds.length).toBe(before);
    });

    it("is heard by the handle's plugins: an observed handle times it, a background handle's is background work", async () => {
      const heard: string[] = [];
      const observed = database.observed((durationMs, event) => heard.push(`${event.query.sql.slice(0, 14)} ${durationMs >= 0}`));
      await shownAfter(observed, 0, 1);
      await shownAfter(database.db, 0, 1);
      expect(heard).toEqual(['select id, nam true']);
      kinds.length = 0;
      await shownAfter(database.background, 0, 1);
      await shownAfter(database.db, 0, 1);
      expect(kinds).toEqual(['background', 'request']);
    });

    it("never sees a transaction's writes from outside it: a read begun meanwhile waits for its end", async () => {
      let outside: ReturnType<typeof shownAfter> | undefined;
      const rollback = new Error('rolled back on purpose');
      const observed = database.observed(() => {});
      const transaction = database.db.transaction().execute(async (trx) => {
        await sql`insert into things (id, name, shown) values (9, 'nine', ${true})`.execute(trx);
        outside = shownAfter(observed, 8, 5);
        // Inside, the write is seen.
        expect((await shownAfter(trx, 8, 5)).rows).toEqual([{ id: 9, name: 'nine' }]);
        throw rollback;
      });
      await expect(transaction).rejects.toBe(rollback);
      expect((await outside)?.rows).toEqual([]);
    });

    it("keeps a plugin's change to the result: only plugins that leave results be are passed by", async () => {
      const shouting = database.db.withPlugin({
        transformQuery: ({ node }) => node,
        transformResult: async ({ result }) => ({ ...result, rows: result.rows.map((row) => ({ ...row, name: String(row.name).toUpperCase() })) }),
      });
      expect((await shownAfter(shouting, 0, 1)).rows).toEqual([{ id: 1, name: 'ONE' }]);
    });

    it('still runs a statement that writes, though it is made for reads', async () => {
      const rename = (name: string) => runPrepared(database.db, 'rename one', () => sql`update things set name = ${name} where id = ${1}`, [name, 1]);
      await rename('uno');
      expect((await shownAfter(database.db, 0, 1)).rows).toEqual([{ id: 1, name: 'uno' }]);
      await rename('one');
      expect((await shownAfter(database.db, 0, 1)).rows).toEqual([{ id: 1, name: 'one' }]);
    });

    it('reports a read that fails to its observer and to the log, with its error, and rejects', async () => {
      const heard: string[] = [];
      const observed = database.observed((durationMs, event) => heard.push(`${event.level} ${durationMs >= 0} ${event.query.sql}`));
      kinds.length = 0;
      const statement = () => sql`select id from no_such_things where id > ${1}`;
      await expect(runPrepared(observed, 'a table that is not there', statement, [1])).rejects.toThrow(/no_such_things/);
      expect(heard).toEqual([`error true ${statement().compile(database.db).sql}`]);
      expect(kinds).toEqual(['request']);
    });

    it(`keeps ${SHAPES_KEPT} shapes at most; past them a statement is built on every run`, async () => {
      // A handle of its own: the shapes of the tests above are not counted.
      const own = openDatabase(url);
      let builds = 0;
      const numbered = (shape: number) =>
        runPrepared(
          own.db,
          `numbered ${shape}`,
          () => {
            builds += 1;
            return sql<{ n: number }>`select ${sql.lit(shape)} as n`;
          },
          [],
        );
      try {
        for (let shape = 0; shape < SHAPES_KEPT; shape += 1) await numbered(shape);
        builds = 0;
        await numbered(0);
        await numbered(SHAPES_KEPT - 1);
        expect(builds).toBe(0);
        await numbered(SHAPES_KEPT);
        await numbered(SHAPES_KEPT);
        expect(builds).toBe(2);
        expect((await numbered(SHAPES_KEPT)).rows).toEqual([{ n: SHAPES_KEPT }]);
      } finally {
        await own.close();
      }
    });
  });
}
