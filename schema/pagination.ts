import { z } from 'zod';
import { decodeCursor, type PageArgs } from '../resolvers/pagination.js';
import { builder } from './builder.js';

/** The most rows one page may ask for; larger pages are BAD_USER_INPUT, not a slow query. */
export const MAX_PAGE_SIZE = 100;
const DEFAULT_PAGE_SIZE = 10;

/** `first: Int = 10, after: String`, as the contract spells every connection field. */
export const pageArgs = builder.args((t) => ({
  first: t.int({
    required: false,
    defaultValue: DEFAULT_PAGE_SIZE,
    validate: z.number().int().min(0, 'first must be 0 or more').max(MAX_PAGE_SIZE, `first may be at most ${MAX_PAGE_SIZE}`).nullish(),
  }),
  after: t.string({ required: false }),
}));

export function toPageArgs(args: { first?: number | null; after?: string | null }): PageArgs {
  return { first: args.first ?? DEFAULT_PAGE_SIZE, after: args.after ? decodeCursor(args.after) : null };
}
