import type { QuotaLimits, QuotaWindow } from '../kit/quota.js';
import { errorBody } from './schemas.js';

/**
 * Open-Meteo's free tier, per IP address, for all its hosts together: the default of
 * OPEN_METEO_QUOTA. Every location of a multi-location call counts as one call.
 */
export const OPEN_METEO_FREE_TIER: QuotaLimits = { minute: 600, hour: 5_000, day: 10_000 };

const WINDOW_WORDS: [prefix: string, window: QuotaWindow][] = [
  ['minutely', 'minute'],
  ['hourly', 'hour'],
  ['daily', 'day'],
];

/**
 * The window a 429 names. Open-Meteo sends no Retry-After; its reason says which of its
 * limits we hit ("Minutely API request limit exceeded. Please try again in one minute.").
 */
export function limitedWindow(body: string): QuotaWindow | null {
  let reason: string;
  try {
    const parsed = errorBody.safeParse(JSON.parse(body));
    if (!parsed.success) return null;
    reason = parsed.data.reason.trim().toLowerCase();
  } catch {
    return null;
  }
  return WINDOW_WORDS.find(([prefix]) => reason.startsWith(prefix))?.[1] ?? null;
}
