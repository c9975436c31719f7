import type { UpstreamFailure } from '../resolvers/upstream-results.js';
import type { UpstreamErrorCode as Code } from '../sources/kit/upstream-error.js';
import { builder } from './builder.js';
import { ErrorInterface } from './error-interface.js';

const codes: Record<Code, { description?: string }> = {
  NOT_FOUND: { description: 'The upstream knows no such thing (e.g. a country code).' },
  UPSTREAM_TIMEOUT: {},
  UPSTREAM_UNAVAILABLE: {},
  UPSTREAM_BAD_RESPONSE: {},
  RATE_LIMITED: {},
  QUOTA_EXHAUSTED: {},
};

export const UpstreamErrorCode = builder.enumType('UpstreamErrorCode', { values: codes });

export const UpstreamError = builder.objectRef<UpstreamFailure>('UpstreamError').implement({
  description: 'One part of an answer that an upstream API could not give; the rest of the answer is unaffected.',
  interfaces: [ErrorInterface],
  fields: (t) => ({
    source: t.exposeString('source', { description: 'Which upstream failed: "forecast", "air-quality", "countries", …' }),
    code: t.expose('code', { type: UpstreamErrorCode }),
    retryAfterSeconds: t.exposeInt('retryAfterSeconds', {
      nullable: true,
      description: 'Seconds until asking again can succeed, when known (a quota window, a Retry-After, an open circuit).',
    }),
  }),
});
