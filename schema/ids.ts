import { decodeGlobalID } from '@pothos/plugin-relay';
import { RequestError } from '../resolvers/errors.js';

/** The database id inside a global ID, or null when it cannot be one. */
export function parseLocalId(id: string): number | null {
  return /^\d{1,15}$/.test(id) ? Number(id) : null;
}

/** As parseLocalId, for an argument: a forged id is bad input, not a crash. */
export function localId(globalId: { id: string; typename: string }): number {
  const id = parseLocalId(globalId.id);
  if (id === null) throw new RequestError('BAD_USER_INPUT', `Not a valid ${globalId.typename} id`);
  return id;
}

/** The database id inside a global ID of the given type, or null when it names anything else. */
export function localIdOf(globalId: string, typename: string): number | null {
  try {
    const decoded = decodeGlobalID(globalId);
    return decoded.typename === typename ? parseLocalId(decoded.id) : null;
  } catch {
    return null;
  }
}
