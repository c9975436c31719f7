import DataLoader from 'dataloader';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import { countPostsOfAuthors, selectPostsByIds, selectPostsOfAuthors } from '../db/posts.js';
import type { Keyset, PostRecord } from '../db/records.js';
import { orderByKeys } from './order-by-keys.js';

export interface AuthorPage {
  /** Rows to fetch per author (the page size plus one, to learn whether there is more). */
  limit: number;
  after: Keyset | null;
}

/**
 * Post loaders for one request. `viewerId` decides which unpublished posts exist at all:
 * the viewer's own, and nobody else's.
 */
export function createPostLoaders(db: Kysely<Database>, viewerId: number | null) {
  // One loader per distinct page shape: `posts(first: 5)` under fifty authors is one batch.
  const pages = new Map<string, DataLoader<number, PostRecord[]>>();
  const postsByAuthorId = (page: AuthorPage) => {
    const key = `${page.limit}:${page.after?.createdAt.toISOString() ?? ''}:${page.after?.id ?? ''}`;
    let loader = pages.get(key);
    if (!loader) {
      loader = new DataLoader<number, PostRecord[]>(async (authorIds) => {
        const byAuthor = new Map<number, PostRecord[]>(authorIds.map((id) => [id, []]));
        for (const post of await selectPostsOfAuthors(db, authorIds, { ...page, viewerId })) {
          byAuthor.get(post.authorId)?.push(post);
        }
        return authorIds.map((id) => byAuthor.get(id) ?? []);
      });
      pages.set(key, loader);
    }
    return loader;
  };

  const counts = (publishedOnly: boolean) =>
    new DataLoader<number, number>(async (authorIds) => {
      const byAuthor = await countPostsOfAuthors(db, authorIds, viewerId, publishedOnly);
      return authorIds.map((id) => byAuthor.get(id) ?? 0);
    });

  return {
    postById: new DataLoader<number, PostRecord | null>(async (ids) => orderByKeys(ids, await selectPostsByIds(db, ids), (post) => post.id)),
    postsByAuthorId,
    /** Published posts per author: `User.postCount`. */
    postCountByAuthorId: counts(true),
    /** Posts per author that the viewer may see: `User.posts.totalCount`. */
    visiblePostCountByAuthorId: counts(false),
  };
}
