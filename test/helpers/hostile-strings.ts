import fc from 'fast-check';

/** Strings that have broken servers before: meta characters of SQL, HTML and JSON, and odd Unicode. */
const classics = [
  "'; DROP TABLE posts; --",
  '" OR 1=1 --',
  "Robert'); DELETE FROM users;--",
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(1)>',
  '{"__proto__":{"admin":true}}',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a template injection probe, meant literally
  '${7*7}{{7*7}}',
  '%00%27',
  '\\',
  '\u0000',
  'nul\u0000inside',
  '\ud800',
  'lone \udfff low',
  'family 👩‍👩‍👧‍👦 and flag 🇳🇿',
  'e\u0301 vs é',
  'ＦＵＬＬＷＩＤＴＨ',
  '\u202Eright-to-left override',
  'zero\u200Bwidth',
  'line\u2028separator',
  '\t tab \n newline \r return',
  '   ',
  '',
];

/** Any string a hostile or careless client might send as a text field. */
export const hostileString = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...classics) },
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme', maxLength: 120 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 120 }) },
  {
    weight: 2,
    // Control characters and both surrogate halves, alone and mixed with text.
    arbitrary: fc.string({ unit: fc.constantFrom('\u0000', '\u0007', '\u001b', '\u007f', '\t', '\n', '\ud83d', '\ude00', 'a', ' ', '€'), maxLength: 40 }),
  },
  { weight: 1, arbitrary: fc.integer({ min: -2, max: 2 }).map((delta) => 'x'.repeat(200 + delta)) },
  { weight: 1, arbitrary: fc.integer({ min: -1, max: 1 }).map((delta) => 'y'.repeat(100_000 + delta)) },
);

/** Any JSON value, for variables of the wrong type. */
export const anyJson = fc.jsonValue({ maxDepth: 3 });

/** Ids a client might forge: any string, and base64 global ids of other types, of junk, of huge numbers. */
export const hostileId = fc.oneof(
  hostileString,
  fc
    .tuple(
      fc.constantFrom('Post', 'User', 'Nope', ''),
      fc.oneof(fc.constantFrom('0', '-1', '1.5', '99999999999999999999', '1e3', ' 1'), fc.string({ maxLength: 20 })),
    )
    .map(([typename, id]) => Buffer.from(`${typename}:${id}`).toString('base64')),
);

/**
 * Addresses the email rules accept. fast-check's emailAddress() mostly makes RFC-valid ones
 * with characters such as ` { | } that the stricter rules here refuse, so inputs built with
 * it are nearly always invalid and their accepted branch would go untested.
 */
export const validEmail = fc.stringMatching(/^[a-z0-9][a-z0-9_+-]{0,15}@[a-z0-9]{1,12}\.[a-z]{2,6}$/);
