import { readFileSync } from 'node:fs';

/** The query of the README's "A first query", as a reader copies it: tests run what the README shows. */
export const README_FIRST_QUERY = (() => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('## A first query'));
  const query = /```graphql\n([\s\S]*?)```/.exec(section)?.[1];
  if (!query) throw new Error('README.md has no graphql block under "## A first query"');
  return query;
})();
