import { isoString, type Keyset } from '../db/records.js';
import { RequestError } from './errors.js';

export interface Edge<T> {
  cursor: string;
  node: T;
}

export interface Connection<T> {
  edges: Edge<T>[];
  pageInfo: {
    hasNextPage: boolean;
    hasPreviousPage: boolean;
    startCursor: string | null;
    endCursor: string | null;
  };
  /** Counted only when a client asks for it: a COUNT is a statement of its own. */
  totalCount: () => Promise<number>;
}

export interface PageArgs {
  first: number;
  after: Keyset | null;
}

/** Cursors are opaque to clients: base64url of the (created_at, id) keyset. */
export function encodeCursor(keyset: Keyset): string {
  // JSON.stringify([iso, id]) written out: an ISO date and an integer need no escaping, and
  // every edge of every page is encoded.
  return Buffer.from(`["${isoString(keyset.createdAt)}",${keyset.id}]`).toString('base64url');
}

export function decodeCursor(cursor: string, argument = 'after'): Keyset {
  const invalid = () => new RequestError('BAD_USER_INPUT', `"${argument}" is not a cursor returned by this API`, { argument });
  if (cursor.length > 200) throw invalid();
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(value) || value.length !== 2) throw invalid();
  const [iso, id] = value as unknown[];
  const createdAt = typeof iso === 'string' ? new Date(iso) : new Date(Number.NaN);
  if (Number.isNaN(createdAt.getTime()) || !Number.isSafeInteger(id) || (id as number) < 0) throw invalid();
  return { createdAt, id: id as number };
}

/**
 * Reads a page: `fetch` is asked for one row more than `first`, and that extra row only
 * says whether there is a next page.
 */
export async function paginate<T extends Keyset>(
  args: PageArgs,
  fetch: (limit: number) => Promise<T[]>,
  totalCount: () => Promise<number>,
): Promise<Connection<T>> {
  const rows = args.first === 0 ? [] : await fetch(args.first + 1);
  return toConnection(rows, args, totalCount);
}

/** Builds a connection from up to `first + 1` rows already fetched. */
export function toConnection<T extends Keyset>(rows: T[], args: PageArgs, totalCount: () => Promise<number>): Connection<T> {
  const page = rows.slice(0, args.first);
  const edges = page.map((node) => ({ cursor: encodeCursor(node), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage: rows.length > args.first,
      hasPreviousPage: args.after !== null,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
    totalCount,
  };
}
