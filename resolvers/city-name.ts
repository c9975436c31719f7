/** Longer than any real place name (the longest in use are under 90 characters). */
export const MAX_CITY_NAME_LENGTH = 100;

export type CityName = { ok: true; key: string } | { ok: false; reason: string };

/**
 * Checks a city name as the client typed it and gives the key that the caches and the
 * request's loader use: trimmed, inner spaces collapsed, Unicode-normalised and case-folded,
 * so that " São  Paulo", "SÃO PAULO" and "Sa\u0303o Paulo" are one city.
 */
export function normaliseCity(raw: string): CityName {
  // Lone surrogates cannot be put in a URL; control characters are never part of a name.
  if (/[\p{Cc}\p{Cs}]/u.test(raw)) return { ok: false, reason: 'A city name must not contain control characters' };
  const key = raw.normalize('NFKC').trim().replace(/\s+/gu, ' ').toLowerCase();
  if (key === '') return { ok: false, reason: 'A city name must not be empty' };
  if ([...key].length > MAX_CITY_NAME_LENGTH) {
    return { ok: false, reason: `A city name must be at most ${MAX_CITY_NAME_LENGTH} characters` };
  }
  if (!/\p{L}/u.test(key)) return { ok: false, reason: 'A city name must contain at least one letter' };
  return { ok: true, key };
}
