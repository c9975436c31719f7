import { z } from 'zod';

// REST Countries v5's answers, reduced to what gatherql reads. Read defensively: the service's
// own published examples disagree on some shapes (currencies as a list or as a map keyed by
// code), and a territory may have no capital, currency or language, or an empty subregion.

/** One page of `GET /countries/v5`: the objects, and whether more follow. */
export const v5Page = z.object({
  data: z.object({
    objects: z.array(z.unknown()),
    meta: z.object({
      more: z.boolean(),
      total: z.number().int().min(0).optional(),
    }),
  }),
});

const text = z.string().nullish();

const currencyFields = z.object({ name: z.string().min(1), symbol: text });

/** The currencies as a list of `{ code, name, symbol }`, or as a map from code to `{ name, symbol }`. */
const currencies = z.union([
  z.array(currencyFields.extend({ code: z.string().min(1) })),
  z.record(z.string(), currencyFields).transform((map) => Object.entries(map).map(([code, currency]) => ({ code, ...currency }))),
]);

/** The languages as a list of objects with a name, or as a map from ISO 639-3 code to name. */
const languages = z.union([
  z.array(z.object({ name: z.string().min(1) })).transform((list) => list.map((language) => language.name)),
  z.record(z.string(), z.string()).transform((map) => Object.values(map)),
]);

/** Capitals as objects with a name (v5), or as plain names. */
const capitals = z.array(z.union([z.object({ name: z.string().min(1) }).transform((capital) => capital.name), z.string().min(1)]));

/** The flag object (v5), or the emoji itself. */
const flag = z.union([z.object({ emoji: text }).transform((value) => value.emoji ?? null), z.string()]);

export const ALPHA_2 = /^[A-Za-z]{2}$/;

export const v5Country = z.object({
  names: z.object({ common: z.string().min(1), official: z.string().min(1) }),
  codes: z.object({ alpha_2: z.string().regex(ALPHA_2, 'expected an ISO 3166-1 alpha-2 code') }),
  capitals: capitals.nullish(),
  region: text,
  subregion: text,
  population: z.number().int().min(0).nullish(),
  currencies: currencies.nullish(),
  languages: languages.nullish(),
  flag: flag.nullish(),
});

export type V5Country = z.infer<typeof v5Country>;

/**
 * The fields asked for (`response_fields`): everything v5Country reads and nothing else, so
 * that the pages stay small. Dotted paths pick one part of an object.
 */
export const RESPONSE_FIELDS = 'names.common,names.official,codes.alpha_2,capitals,region,subregion,population,currencies,languages,flag';
