import DataLoader from 'dataloader';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import type { UserRecord } from '../db/records.js';
import { selectUsersByIds } from '../db/users.js';
import { orderByKeys } from './order-by-keys.js';

export function createUserLoaders(db: Kysely<Database>) {
  return {
    userById: new DataLoader<number, UserRecord | null>(async (ids) => orderByKeys(ids, await selectUsersByIds(db, ids), (user) => user.id)),
  };
}
