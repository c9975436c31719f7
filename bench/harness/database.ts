import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../../config.js';
import { openDatabase } from '../../db/connect.js';
import { prepareDatabase } from '../../db/prepare.js';
import { createGateway } from '../../gateway.js';
import { hashPassword } from '../../resolvers/passwords.js';

/**
 * Makes the one seeded SQLite file every server reads: the gateway's own migrations and demo
 * data, written by createGateway on a `file:` URL exactly as a first start would.
 */
export async function seedBenchDatabase(dir: string): Promise<string> {
  const file = join(dir, 'seed.sqlite');
  const gateway = await createGateway(loadConfig({ DATABASE_URL: `file:${file}`, LOG_LEVEL: 'silent' }));
  await gateway.close();
  return file;
}

/** A private copy of the seeded file for one server, so that no server touches another's file. */
export function copyBenchDatabase(seed: string, dir: string, name: string): string {
  const file = join(dir, `${name}.sqlite`);
  copyFileSync(seed, file);
  // Closing checkpoints the write-ahead log; copy it anyway should one be left.
  if (existsSync(`${seed}-wal`)) copyFileSync(`${seed}-wal`, `${file}-wal`);
  return file;
}

/**
 * The same demo data in a PostgreSQL database: the gateway's migrations and demo seed, which
 * a gateway on PostgreSQL never seeds by itself (it seeds only an embedded file).
 */
export async function seedBenchPostgres(url: string): Promise<void> {
  const database = openDatabase(url);
  try {
    await prepareDatabase(database.db, { seed: true, hashPassword, logger: pino({ level: 'silent' }) });
  } finally {
    await database.close();
  }
}
