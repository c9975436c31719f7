import { userUniqueViolation } from '../db/constraint-errors.js';
import type { UserRecord } from '../db/records.js';
import { updateUserRow } from '../db/users.js';
import { type DomainContext, requireViewer } from './context.js';
import { type FieldError, RequestError, ValidationError } from './errors.js';
import { findUser } from './users.js';
import { bulkUserUpdate, parseInput, updateProfileInput } from './validation.js';

/** The most users one bulkUpdateUsers call may change. */
export const MAX_BULK_UPDATE = 100;

/** The viewer edits their own profile; a taken email is a field error, nothing is written. */
export async function updateProfile(ctx: DomainContext, input: unknown): Promise<{ user: UserRecord }> {
  const viewer = requireViewer(ctx);
  const changes = parseInput(updateProfileInput, input, ['input']);
  try {
    await ctx.db.transaction().execute((trx) => updateUserRow(trx, viewer.id, changes));
  } catch (error) {
    if (userUniqueViolation(error) === 'email') {
      throw new ValidationError([{ path: ['input', 'email'], message: 'email is already registered' }]);
    }
    throw error;
  }
  ctx.loaders.userById.clear(viewer.id);
  return { user: (await findUser(ctx, viewer.id))! };
}

export interface BulkUpdate {
  /** The id as the client sent it, echoed in missingIds. */
  ref: string;
  /** The database id, or null when the reference cannot name a user. */
  id: number | null;
  changes: unknown;
}

export interface BulkUpdateResult {
  updatedCount: number;
  missingIds: string[];
}

/**
 * Applies every update in one transaction: all or nothing. Invalid input anywhere is
 * BAD_USER_INPUT listing each bad field with its path, and nothing is written.
 */
export async function bulkUpdateUsers(ctx: DomainContext, updates: readonly BulkUpdate[]): Promise<BulkUpdateResult> {
  if (updates.length > MAX_BULK_UPDATE) {
    throw new RequestError('BAD_USER_INPUT', `bulkUpdateUsers takes at most ${MAX_BULK_UPDATE} updates, got ${updates.length}`);
  }
  const fields: FieldError[] = [];
  const parsed = updates.map((update, index) => {
    try {
      return parseInput(bulkUserUpdate, update.changes, ['updates', String(index)]);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      fields.push(...error.fields);
      return null;
    }
  });
  if (fields.length > 0) throw invalidUpdates(fields);

  const updated = new Set<number>();
  const missingIds: string[] = [];
  let current = 0; // the update being written, to name it if the database refuses it
  try {
    await ctx.db.transaction().execute(async (trx) => {
      for (const [index, update] of updates.entries()) {
        current = index;
        const found = update.id !== null && (await updateUserRow(trx, update.id, parsed[index]!));
        if (found) updated.add(update.id!);
        else missingIds.push(update.ref);
      }
    });
  } catch (error) {
    if (userUniqueViolation(error) === 'email') {
      throw invalidUpdates([{ path: ['updates', String(current), 'email'], message: 'email is already registered' }]);
    }
    throw error;
  }
  for (const id of updated) ctx.loaders.userById.clear(id);
  return { updatedCount: updated.size, missingIds };
}

function invalidUpdates(fields: FieldError[]): RequestError {
  const list = fields.map((field) => `${field.path.join('.')}: ${field.message}`).join('; ');
  return new RequestError('BAD_USER_INPUT', `Nothing was updated: ${list}`, { fields });
}
