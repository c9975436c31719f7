import type { FreshnessRecord } from '../resolvers/upstream-results.js';
import { builder } from './builder.js';
import { DateTime } from './scalars.js';

export const FreshnessState = builder.enumType('FreshnessState', {
  values: {
    LIVE: { description: 'Fetched for this request, or by a call in flight that it joined.' },
    CACHED: { description: 'From a cache, within its time to live.' },
    STALE: { description: 'From a cache, past its time to live: the upstream failed just now, or a refresh is under way.' },
    BUNDLED: { description: "From the dataset shipped with the gateway, used where no live source is configured; fetchedAt is the dataset's date." },
  } as const,
});

export const Freshness = builder.objectRef<FreshnessRecord>('Freshness').implement({
  description: 'Where a value came from and how old it is.',
  fields: (t) => ({
    state: t.expose('state', { type: FreshnessState }),
    fetchedAt: t.expose('fetchedAt', { type: DateTime, description: 'When the upstream produced the answer the value came from.' }),
    ageSeconds: t.exposeInt('ageSeconds', { description: 'Whole seconds since fetchedAt.' }),
    ttlSeconds: t.exposeInt('ttlSeconds', { description: 'How long the value counts as fresh after fetchedAt.' }),
  }),
});
