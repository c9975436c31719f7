import { parseArgs } from 'node:util';
import { LatestPostsDocument } from '../generated/graphql.js';
import { formatTable } from '../table.js';
import { type Command, UsageError } from './command.js';
import { reportErrors } from './report.js';

function parsePageSize(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const first = Number(value);
  if (!Number.isInteger(first) || first < 1 || first > 100) throw new UsageError(`--first must be an integer from 1 to 100, not "${value}"`);
  return first;
}

/** `posts`: the newest published posts as a table of title, author and date. */
export const posts: Command = {
  name: 'posts',
  usage: '[--first N] [--after CURSOR]',
  summary: 'newest published posts: title, author, date',
  async run(args, context) {
    let values: { first?: string; after?: string };
    try {
      ({ values } = parseArgs({ args, options: { first: { type: 'string' }, after: { type: 'string' } }, strict: true }));
    } catch (error) {
      throw new UsageError(error instanceof Error ? error.message : String(error));
    }
    const result = await context.execute(LatestPostsDocument, { first: parsePageSize(values.first), after: values.after });
    if (result.data) {
      const { edges, totalCount, pageInfo } = result.data.posts;
      const rows = edges.map(({ node }) => [
        node.title,
        node.author.displayName ?? node.author.username,
        // DateTime is an ISO-8601 UTC string; its first ten characters are the date.
        node.createdAt.slice(0, 10),
      ]);
      context.print(formatTable([{ header: 'title' }, { header: 'author', maxWidth: 24 }, { header: 'date' }], rows));
      context.print(`\n${edges.length} of ${totalCount} posts`);
      if (pageInfo.hasNextPage && pageInfo.endCursor) context.print(`next page: npm run client -- posts --after ${pageInfo.endCursor}`);
    }
    return reportErrors(result, context);
  },
};
