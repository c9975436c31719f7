import type { UpstreamHttp } from '../kit/http.js';
import type { Quota } from '../kit/quota.js';
import type { UpstreamPolicy } from '../kit/upstream-policy.js';

/** How an Open-Meteo API is registered with the gateway's HTTP client. */
export interface OpenMeteoApiOptions {
  http: UpstreamHttp;
  /** Base URL without a trailing slash, e.g. https://geocoding-api.open-meteo.com. */
  baseUrl: string;
  policy: UpstreamPolicy;
  /** The budget all Open-Meteo hosts share. */
  quota?: Quota;
}
