import { expectAnswer, POSTS_BODY, tenPostsWithAuthors } from './queries.js';
import { THROUGHPUT_COLUMNS, throughputMethod, throughputValues, warmThenMeasure } from './throughput.js';
import type { Scenario } from './types.js';

/** (b) The newest ten posts and their authors from the embedded SQLite file: no upstream at all. */
export const postsWithAuthors: Scenario = {
  id: 'b',
  title: 'posts(first: 10) with authors, embedded SQLite',
  method: (durations) =>
    throughputMethod('`posts(first: 10) { edges { cursor node { id title createdAt author { id username displayName } } } pageInfo }`, anonymous', durations),
  faults: [],
  columns: THROUGHPUT_COLUMNS,
  ratioKey: 'rps',
  higherIsBetter: true,
  async measure(server, ctx) {
    await expectAnswer(server.url, POSTS_BODY, tenPostsWithAuthors);
    return throughputValues(await warmThenMeasure(server, ctx, POSTS_BODY));
  },
};
