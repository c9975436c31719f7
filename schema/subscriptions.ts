import type { ReportRecord } from '../db/reports.js';
import type { PostRecord } from '../db/records.js';
import { claimCities } from '../resolvers/city-allowance.js';
import { watchPublishedPosts } from '../resolvers/posts.js';
import { watchReport } from '../resolvers/report-updates.js';
import { readPostEvent } from '../resolvers/topics.js';
import type { WeatherResult as WeatherResultRecord } from '../resolvers/weather.js';
import { builder } from './builder.js';
import type { Context } from '../context.js';
import { localIdOf } from './ids.js';
import { Post } from './post.js';
import { CityReport } from './reports.js';
import { WeatherResult } from './weather.js';

// Live data: each field subscribes to a stream of events (resolvers/), and resolves each event
// as it comes. A subscription's context lives as long as the subscription: each event gets
// fresh loaders, so that what it selects is read anew (see renewLoaders).

const fresh = <T>(ctx: Context, event: T): T => {
  ctx.renewLoaders();
  return event;
};

builder.subscriptionType({});

builder.subscriptionFields((t) => ({
  cityReportUpdated: t.field({
    type: CityReport,
    description: 'The report each time its state or progress changes; the stream ends after its final state.',
    authScopes: { signedIn: true },
    args: { id: t.arg.id({ required: true }) },
    subscribe: (_root, args, ctx) => watchReport(ctx, localIdOf(String(args.id), 'CityReport')),
    resolve: (report: ReportRecord, _args, ctx) => fresh(ctx, report),
  }),
  postPublished: t.field({
    type: Post,
    description: 'Each post when it becomes published (created published, or updated to published), whichever instance wrote it.',
    subscribe: (_root, _args, ctx) => watchPublishedPosts(ctx),
    resolve: (post: PostRecord, _args, ctx) => fresh(ctx, readPostEvent(post)),
  }),
  weatherUpdates: t.field({
    type: WeatherResult,
    description: [
      "Each city's weather at once, then again whenever the gateway's value for it changes.",
      'One upstream poll per city per time to live, however many subscribers and instances.',
      'Same limits and name rules as `weather`.',
    ].join('\n'),
    args: { cities: t.arg.stringList({ required: true }) },
    subscribe: (_root, args, ctx) => ctx.weatherWatch.watch(ctx, claimCities(ctx, args.cities)),
    resolve: (result: WeatherResultRecord) => result,
  }),
}));
