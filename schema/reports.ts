import type { ReportRecord } from '../db/reports.js';
import { CITY_PARTS, type CityPart as CityPartValue } from '../resolvers/report-rows.js';
import { cancelCityReport, findReport, findReports, listReports, type ReportRowRecord, reportRows, startCityReport } from '../resolvers/reports.js';
import { ForbiddenError, NotFoundError, ValidationError } from '../resolvers/errors.js';
import { builder } from './builder.js';
import { CityResult } from './cities.js';
// Registers the error classes as GraphQL types before the unions below name them.
import './errors.js';
import { localIdOf, parseLocalId } from './ids.js';
import { MAX_PAGE_SIZE, pageArgs, toPageArgs } from './pagination.js';
import { DateTime } from './scalars.js';
import { VIEWER_SCOPE } from './viewer-scope.js';
import { z } from 'zod';

export const CityPart = builder.enumType('CityPart', { values: CITY_PARTS as readonly CityPartValue[] });

export const ReportState = builder.enumType('ReportState', {
  values: {
    QUEUED: { description: 'Accepted, not started yet.' },
    RUNNING: {},
    WAITING_FOR_QUOTA: { description: 'Paused until an upstream quota window reopens (resumesAt).' },
    SUCCEEDED: {},
    FAILED: { description: "Stopped by a fault that is not one place's (each place's own problems are CityError rows)." },
    CANCELLED: {},
  } as const,
});

export const CityReportInput = builder.inputType('CityReportInput', {
  fields: (t) => ({
    names: t.stringList({ required: true, description: '1 to the configured maximum (default 5000) names; invalid names become CityError rows.' }),
    parts: t.field({ type: [CityPart], description: 'The parts to gather for each place; all of them when omitted.' }),
  }),
});

export const CityReportRow = builder.objectRef<ReportRowRecord>('CityReportRow').implement({
  fields: (t) => ({
    position: t.exposeInt('position', { description: '0-based index of the name in the input.' }),
    result: t.field({ type: CityResult, resolve: (row) => row.result }),
  }),
});

export const CityReportRowConnection = builder.connectionObject({ type: CityReportRow, name: 'CityReportRowConnection' });

export const CityReport = builder.node(builder.objectRef<ReportRecord>('CityReport'), {
  description: 'Places gathered in the background: each row is what `cities` would have answered for its name, when it was gathered.',
  id: { resolve: (report) => report.id },
  loadMany: (ids, ctx) => findReports(ctx, ids.map(parseLocalId)),
  fields: (t) => ({
    state: t.field({ type: ReportState, resolve: (report) => report.state }),
    total: t.exposeInt('total', { description: 'How many names were asked for.' }),
    done: t.exposeInt('done', { description: 'How many names have their final row.' }),
    resumesAt: t.expose('resumesAt', { type: DateTime, nullable: true, description: 'When a WAITING_FOR_QUOTA report goes on.' }),
    createdAt: t.expose('createdAt', { type: DateTime }),
    startedAt: t.expose('startedAt', { type: DateTime, nullable: true }),
    finishedAt: t.expose('finishedAt', { type: DateTime, nullable: true }),
    failure: t.exposeString('failure', { nullable: true, description: 'Why the report FAILED.' }),
    upstreamCalls: t.exposeInt('upstreamCalls', { description: 'Upstream calls the report has made so far (cached values cost none).' }),
    rows: t.field({
      type: CityReportRowConnection,
      description: 'The rows gathered so far, in input order.',
      args: {
        first: t.arg.int({
          defaultValue: 100,
          validate: z.number().int().min(0, 'first must be 0 or more').max(MAX_PAGE_SIZE, `first may be at most ${MAX_PAGE_SIZE}`).nullish(),
        }),
        after: t.arg.string(),
      },
      resolve: (report, args, ctx) => reportRows(ctx, report, { first: args.first ?? 100, after: args.after ?? null }),
    }),
  }),
});

export const CityReportConnection = builder.connectionObject({ type: CityReport, name: 'CityReportConnection' });

const StartCityReportResult = builder.errorUnion('StartCityReportResult', {
  types: [CityReport, ValidationError],
  resolveType: () => 'CityReport',
});

const CancelCityReportResult = builder.errorUnion('CancelCityReportResult', {
  types: [CityReport, NotFoundError, ForbiddenError],
  resolveType: () => 'CityReport',
});

builder.queryFields((t) => ({
  cityReport: t.field({
    type: CityReport,
    nullable: true,
    description: "A report the viewer started (an admin sees every report); null when there is none or it is not the viewer's.",
    extensions: VIEWER_SCOPE,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => findReport(ctx, localIdOf(String(args.id), 'CityReport')),
  }),
  cityReports: t.field({
    type: CityReportConnection,
    description: "Signed-in users only: the viewer's reports, newest first.",
    authScopes: { signedIn: true },
    args: pageArgs,
    resolve: (_root, args, ctx) => listReports(ctx, toPageArgs(args)),
  }),
}));

builder.mutationFields((t) => ({
  startCityReport: t.field({
    type: StartCityReportResult,
    description: [
      'Signed-in users only: gather every named place in the background, paced under the',
      'upstream quotas, resumed after a restart. Answers at once with the queued report.',
    ].join('\n'),
    authScopes: { signedIn: true },
    args: { input: t.arg({ type: CityReportInput, required: true }) },
    resolve: (_root, args, ctx) => startCityReport(ctx, args.input),
  }),
  cancelCityReport: t.field({
    type: CancelCityReportResult,
    description: "The report's owner (or an admin): stop a report that has not finished; what it gathered stays readable.",
    authScopes: { signedIn: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => cancelCityReport(ctx, { ref: String(args.id), id: localIdOf(String(args.id), 'CityReport') }),
  }),
}));
