import { z } from 'zod';

/**
 * REST Countries v3.1's country object, reduced to the fields gatherql asks for (`fields=`).
 * Some territories have no capital, currency or language: those are empty, not absent, but
 * are read as optional in case an entry leaves them out.
 */
export const countryEntry = z.object({
  cca2: z.string().regex(/^[A-Za-z]{2}$/, 'expected an ISO 3166-1 alpha-2 code'),
  name: z.object({ common: z.string().min(1), official: z.string().min(1) }),
  capital: z.array(z.string()).optional(),
  region: z.string().optional(),
  subregion: z.string().optional(),
  population: z.number().int().min(0).optional(),
  currencies: z.record(z.string(), z.object({ name: z.string(), symbol: z.string().optional() })).optional(),
  languages: z.record(z.string(), z.string()).optional(),
  flag: z.string().optional(),
});

export type CountryEntry = z.infer<typeof countryEntry>;

/** The fields asked for: everything countryEntry reads, and nothing else (smaller answers). */
export const COUNTRY_FIELDS = 'cca2,name,capital,region,subregion,population,currencies,languages,flag';
