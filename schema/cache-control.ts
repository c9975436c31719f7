import { type CacheSource as CacheSourceValue, purgeCaches } from '../resolvers/cache-purge.js';
import { builder } from './builder.js';

export const CacheSource = builder.enumType('CacheSource', {
  values: {
    GEOCODING: {},
    FORECAST: {},
    AIR_QUALITY: {},
    COUNTRIES: {},
    RESPONSES: { description: 'Whole answers kept by the response cache.' },
  } as const satisfies Record<CacheSourceValue, { description?: string }>,
});

export const PurgeCachesInput = builder.inputType('PurgeCachesInput', {
  fields: (t) => ({
    sources: t.field({ type: [CacheSource], description: 'The caches to purge; all of them when omitted.' }),
    places: t.stringList({
      description: 'Only what is cached about these place names (their geocoding, and the values at their coordinates); everything when omitted.',
    }),
  }),
});

export const PurgeCachesPayload = builder.objectRef<{ purged: number }>('PurgeCachesPayload').implement({
  fields: (t) => ({
    purged: t.exposeInt('purged', { description: 'Entries removed (on this instance, and in the shared tier when there is one).' }),
  }),
});

builder.mutationField('purgeCaches', (t) =>
  t.field({
    type: PurgeCachesPayload,
    description: 'Admin only: drop cached upstream values, and every kept answer, on every instance.',
    authScopes: { admin: true },
    args: { input: t.arg({ type: PurgeCachesInput, required: true }) },
    resolve: (_root, args, ctx) => purgeCaches(ctx, args.input),
  }),
);
