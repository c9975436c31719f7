import { isoString } from '../db/records.js';
import { builder } from './builder.js';

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;

export const DateTime = builder.scalarType('DateTime', {
  description: 'An ISO-8601 date-time in UTC, e.g. 2026-11-25T09:30:00.000Z.',
  serialize: isoString,
  parseValue: (value) => {
    if (typeof value !== 'string' || !ISO_UTC.test(value) || Number.isNaN(Date.parse(value))) {
      throw new TypeError('DateTime must be an ISO-8601 UTC string such as 2026-11-25T09:30:00.000Z');
    }
    return new Date(value);
  },
});
