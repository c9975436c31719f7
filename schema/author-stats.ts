import { z } from 'zod';
import type { AuthorCount } from '../db/users.js';
import { MAX_TOP_AUTHORS, topAuthors } from '../resolvers/users.js';
import { builder } from './builder.js';
import { User } from './user.js';

export const AuthorStats = builder.objectRef<AuthorCount>('AuthorStats').implement({
  fields: (t) => ({
    user: t.field({ type: User, resolve: (stats) => stats.user }),
    postCount: t.exposeInt('postCount'),
  }),
});

builder.queryField('topAuthors', (t) =>
  t.field({
    type: [AuthorStats],
    description: 'Users ordered by number of published posts, most first (ties: oldest account first).',
    args: {
      limit: t.arg.int({
        defaultValue: 10,
        validate: z.number().int().min(1, 'limit must be at least 1').max(MAX_TOP_AUTHORS, `limit may be at most ${MAX_TOP_AUTHORS}`).nullish(),
      }),
    },
    resolve: (_root, args, ctx) => topAuthors(ctx, args.limit ?? 10),
  }),
);
