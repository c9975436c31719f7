import { UpstreamError, type UpstreamErrorCode } from '../kit/upstream-error.js';
import { COUNTRIES, REST_COUNTRIES_V5_URL } from './countries.js';

/** A setting that is wrong, as REST Countries' answer shows: what a refresh reports instead of a plain failure. */
export type CountriesProblem = 'key_refused' | 'quota_frozen' | 'wrong_url' | 'demo_key';

/**
 * REST Countries refused to give data for a reason that retrying does not mend: a refused key,
 * a frozen quota, a retired version, the demo key. Its message is safe to show a client; its
 * `advice` is the one log line that tells the operator which setting to change.
 */
export class CountriesRefusal extends UpstreamError {
  constructor(
    code: UpstreamErrorCode,
    message: string,
    readonly problem: CountriesProblem,
    readonly advice: string,
    /** What REST Countries itself said, when it said something: for the log, never for a client. */
    readonly upstreamMessage: string | null = null,
  ) {
    // Not the host's fault: the breaker must not open over a wrong setting.
    super(code, message, { hostFailure: false, origin: 'answer' });
  }
}

const wrongUrl = (message: string, why: string, upstreamMessage: string | null = null) =>
  new CountriesRefusal(
    'UPSTREAM_BAD_RESPONSE',
    `${COUNTRIES} ${message}`,
    'wrong_url',
    `REST_COUNTRIES_URL ${why}: set it to ${REST_COUNTRIES_V5_URL}, where v5 lives (the gateway speaks v5 only)`,
    upstreamMessage,
  );

/** What a status other than 2xx means at REST Countries, where it means more than "failed" (see GetJsonRequest.onRefusal). */
export function readRefusal(status: number, body: string): CountriesRefusal | null {
  const said = errorMessage(parseQuietly(body));
  if (status === 401) {
    return new CountriesRefusal(
      'UPSTREAM_BAD_RESPONSE',
      `${COUNTRIES} refused the API key (HTTP 401)`,
      'key_refused',
      'REST Countries refused REST_COUNTRIES_API_KEY (HTTP 401): set a valid v5 key; country facts come from the bundled dataset meanwhile',
      said,
    );
  }
  if (status === 403) {
    return new CountriesRefusal(
      'QUOTA_EXHAUSTED',
      `${COUNTRIES} refused the call: the account's quota is spent (HTTP 403)`,
      'quota_frozen',
      "REST Countries answered HTTP 403: the account's monthly quota is spent, or a field needs a paid plan; the last dataset (or the bundled one) answers meanwhile",
      said,
    );
  }
  if (status === 404) return wrongUrl('has no such path (HTTP 404)', 'has no /countries/v5 (HTTP 404)', said);
  if (status >= 300 && status < 400)
    return wrongUrl(`answered with a redirect (HTTP ${status})`, `answers with a redirect (HTTP ${status}), as the retired versions do`);
  return null;
}

/**
 * A 200 whose body is a notice rather than data: the deprecation envelope of the retired
 * versions (`{"success":false,"data":null,"errors":[…]}`), or the demo key's sample. Null for
 * anything else, which the page schema then judges.
 */
export function readNotice(body: unknown): UpstreamError | null {
  if (!isObject(body)) return null;
  const data = body.data;
  if (isObject(data) && data._demo !== undefined) {
    return new CountriesRefusal(
      'UPSTREAM_BAD_RESPONSE',
      `${COUNTRIES} answered a demo notice instead of data`,
      'demo_key',
      'REST_COUNTRIES_API_KEY is the demo key, which answers a sample instead of the dataset: set a key of your own (sign-up gives one)',
      isObject(data._demo) && typeof data._demo.message === 'string' ? data._demo.message : null,
    );
  }
  if (body.success !== false && !(data === null && Array.isArray(body.errors))) return null;
  const said = errorMessage(body);
  if (said && /deprecat|retired|legacy/i.test(said)) {
    return wrongUrl('answered that this API version is retired', 'points at a retired REST Countries version (it answers a deprecation notice)', said);
  }
  if (said && /demo/i.test(said)) {
    return new CountriesRefusal(
      'UPSTREAM_BAD_RESPONSE',
      `${COUNTRIES} answered a demo notice instead of data`,
      'demo_key',
      'REST_COUNTRIES_API_KEY is the demo key, which answers a notice instead of the dataset: set a key of your own (sign-up gives one)',
      said,
    );
  }
  return new UpstreamError('UPSTREAM_BAD_RESPONSE', `${COUNTRIES} answered an error instead of data`, { hostFailure: true });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseQuietly(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The first message of REST Countries' `{ errors: [{ message }] }`, cut to a log line's length. */
function errorMessage(body: unknown): string | null {
  if (!isObject(body) || !Array.isArray(body.errors)) return null;
  const first = body.errors[0] as unknown;
  return isObject(first) && typeof first.message === 'string' ? first.message.slice(0, 300) : null;
}
