import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { type DatabaseHandle, openDatabase } from '../db/connect.js';
import { migrateToLatest } from '../db/migrate.js';
import { beginReportRun, finishReport, insertReport, requestReportCancel } from '../db/reports.js';
import { insertUser } from './helpers/fixtures.js';

// requestReportCancel against a report whose run moves at the same moment: the statements on
// SQLite, with a second connection standing in for the run (another process on the file).

describe('asking a report to stop', () => {
  let folder: string;
  let handle: DatabaseHandle | undefined;
  let run: SqliteDatabase.Database | undefined;
  afterEach(async () => {
    run?.close();
    await handle?.close();
    rmSync(folder, { recursive: true, force: true });
    run = undefined;
    handle = undefined;
  });

  /** A database on a file with one report, and the statements the gateway sends, each heard by `onStatement`. */
  const open = async (onStatement: (sql: string) => void = () => {}) => {
    folder = mkdtempSync(join(tmpdir(), 'gatherql-cancel-'));
    const file = join(folder, 'reports.db');
    handle = openDatabase(`file:${file}`, { onQuery: (event) => onStatement(event.query.sql) });
    await migrateToLatest(handle.db);
    const ownerId = await insertUser(handle.db, { username: 'owner' });
    const report = await insertReport(handle.db, { ownerId, names: ['Rome'], parts: ['WEATHER'] });
    run = new SqliteDatabase(file);
    return { db: handle.db, id: report.id };
  };
  const stateOf = async (db: DatabaseHandle['db'], id: number) => {
    const row = await db.selectFrom('city_reports').select(['state', 'cancel_requested', 'run_token']).where('id', '=', id).executeTakeFirstOrThrow();
    return { state: row.state, flagged: Boolean(row.cancel_requested), token: row.run_token };
  };

  it('cancels a queued report at once, flags a running one, and leaves a finished one alone', async () => {
    const { db, id } = await open();
    expect(await requestReportCancel(db, id)).toBe('cancelled');
    expect(await stateOf(db, id)).toEqual({ state: 'CANCELLED', flagged: true, token: null });
    const other = await insertReport(db, { ownerId: 1, names: ['Oslo'], parts: ['WEATHER'] });
    await beginReportRun(db, other.id, 'run-1');
    expect(await requestReportCancel(db, other.id)).toBe('flagged');
    expect(await stateOf(db, other.id)).toEqual({ state: 'RUNNING', flagged: true, token: 'run-1' });
    const done = await insertReport(db, { ownerId: 1, names: ['Lima'], parts: ['WEATHER'] });
    await beginReportRun(db, done.id, 'run-2');
    await finishReport(db, done.id, 'run-2', 'SUCCEEDED');
    expect(await requestReportCancel(db, done.id)).toBeNull();
    expect(await stateOf(db, done.id)).toEqual({ state: 'SUCCEEDED', flagged: false, token: null });
  });

  it('loses no cancel to a run that pauses for quota at the same moment', async () => {
    let id = 0;
    let paused = 0;
    let cancelling = false;
    // The run's pause (as pauseReport writes it) lands right after the cancel's first statement.
    const { db, id: reportId } = await open((statement) => {
      if (!run || !cancelling || paused > 0 || !/^update "city_reports"/.test(statement)) return;
      paused += run.prepare("update city_reports set state = 'WAITING_FOR_QUOTA' where id = ? and state = 'RUNNING' and cancel_requested = 0").run(id).changes;
      cancelling = false;
    });
    id = reportId;
    await beginReportRun(db, id, 'run-1');
    cancelling = true;
    const asked = await requestReportCancel(db, id);
    // Flagged before the run could pause, which the flag then refuses: the run ends it.
    expect({ asked, paused, ...(await stateOf(db, id)) }).toEqual({ asked: 'flagged', paused: 0, state: 'RUNNING', flagged: true, token: 'run-1' });
  });
});
