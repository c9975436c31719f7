import type { ScheduleState } from '../jobs/engine.js';
import { type BackgroundWorkSummary, backgroundWork } from '../resolvers/background-work.js';
import { builder } from './builder.js';
import { DateTime } from './scalars.js';

export const Schedule = builder.objectRef<ScheduleState>('Schedule').implement({
  description: 'A task the gateway runs on a schedule (e.g. refreshing the countries dataset).',
  fields: (t) => ({
    name: t.exposeString('name'),
    every: t.exposeString('every', { description: 'The schedule in words or cron syntax, e.g. "every 24 h".' }),
    lastRunAt: t.expose('lastRunAt', { type: DateTime, nullable: true }),
    lastOutcome: t.exposeString('lastOutcome', { nullable: true, description: '"ok", or why the last run failed.' }),
    nextRunAt: t.expose('nextRunAt', { type: DateTime, nullable: true }),
  }),
});

export const BackgroundWork = builder.objectRef<BackgroundWorkSummary>('BackgroundWork').implement({
  fields: (t) => ({
    queued: t.exposeInt('queued'),
    running: t.exposeInt('running'),
    waitingForQuota: t.exposeInt('waitingForQuota'),
    succeededLastHour: t.exposeInt('succeededLastHour'),
    failedLastHour: t.exposeInt('failedLastHour'),
    schedules: t.expose('schedules', { type: [Schedule] }),
  }),
});

builder.queryField('backgroundWork', (t) =>
  t.field({
    type: BackgroundWork,
    description: 'Admin only: the background work of every instance at a glance.',
    authScopes: { admin: true },
    resolve: (_root, _args, ctx) => backgroundWork(ctx),
  }),
);
