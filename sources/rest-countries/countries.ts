/** Facts about a country. JSON-serialisable: the whole dataset may live in a shared tier. */
export interface Country {
  /** ISO 3166-1 alpha-2, upper case. */
  code: string;
  name: string;
  officialName: string;
  capitals: string[];
  region: string | null;
  subregion: string | null;
  /** Null where the source has none (the bundled dataset has no populations). */
  population: number | null;
  currencies: { code: string; name: string; symbol: string | null }[];
  languages: string[];
  /** The flag as an emoji. */
  flag: string | null;
}

/**
 * Every country at once, as one source gave them at one time: REST Countries v5 is read whole
 * (about 250 countries in 3 pages) and answered from memory, never asked per code.
 */
export interface CountryDataset {
  /** Wall-clock ms when the source answered (the first page), or the bundled dataset's date. */
  fetchedAt: number;
  /** By ISO 3166-1 alpha-2 code, upper case. */
  countries: Record<string, Country>;
  /**
   * Codes whose entry arrived in a shape other than the documented one, with what was wrong:
   * those countries fail alone (UPSTREAM_BAD_RESPONSE) rather than read as unknown.
   */
  garbled: Record<string, string>;
}

/** Names the service in error messages. */
export const COUNTRIES = 'The countries service';

/** Where REST Countries v5 lives: REST_COUNTRIES_URL's default, and what a wrong URL is told to become. */
export const REST_COUNTRIES_V5_URL = 'https://api.restcountries.com';
