import { z } from 'zod';
import { type FieldError, ValidationError } from './errors.js';

// The contract's limits, in one place. Text is stored as sent (trimmed where the contract
// says so) and reads back byte for byte, so it must be text both databases can store:
// well-formed Unicode (a lone surrogate has no UTF-8 form) and no NUL (PostgreSQL's text
// type refuses it). In a u-mode regex a surrogate pair is one code point, so \p{Cs} only
// matches lone halves.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is what this pattern is for.
const storable = (value: string) => !/[\p{Cs}\u0000]/u.test(value);
const text = () => z.string().refine(storable, 'must be valid Unicode text without NUL characters');
// One-line text has no control characters at all; multi-line text keeps tab, LF and CR.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is what this pattern is for.
const oneLine = (value: string) => !/[\u0000-\u001F\u007F]/.test(value);
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is what this pattern is for.
const multiLine = (value: string) => !/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/.test(value);
const noControl = { message: 'must not contain control characters' };

export const username = z
  .string()
  .min(3, 'must be at least 3 characters')
  .max(32, 'must be at most 32 characters')
  .regex(/^[A-Za-z0-9_.]+$/, "may contain only letters, digits, '_' and '.'");

/**
 * Whether a string could name an account. Every username passed `username` when it was
 * made, so anything else is known not to exist without asking the database, which is also
 * spared text it may refuse (PostgreSQL rejects a NUL character in a parameter).
 */
export function couldBeUsername(value: string): boolean {
  return username.safeParse(value).success;
}

export const email = z
  .string()
  .trim()
  .max(254, 'must be at most 254 characters')
  .pipe(z.email('must be an email address'))
  .transform((value) => value.toLowerCase());

export const password = text()
  .min(10, 'must be at least 10 characters')
  // scrypt's cost grows with the input; a cap keeps a single request cheap.
  .max(256, 'must be at most 256 characters');

/** Optional one-line profile text: trimmed, and empty means "not set". */
export const displayName = text()
  .trim()
  .max(100, 'must be at most 100 characters')
  .refine(oneLine, noControl)
  .transform((value) => (value === '' ? null : value));

/** Optional multi-line profile text: kept as sent; blank means "not set". */
export const bio = text()
  .max(2000, 'must be at most 2000 characters')
  .refine(multiLine, noControl)
  .transform((value) => (value.trim() === '' ? null : value));

export const title = text().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters').refine(oneLine, noControl);

export const content = text().max(100_000, 'must be at most 100,000 characters');

export const role = z.enum(['USER', 'ADMIN']);

/** An optional GraphQL input field for which an explicit null means nothing sensible. */
const notNull = <T extends z.ZodType>(schema: T) =>
  z
    .custom<unknown>((value) => value !== null, 'must not be null')
    .pipe(schema)
    .optional();

export const signUpInput = z.object({
  username,
  email,
  password,
  displayName: displayName.nullish(),
  bio: bio.nullish(),
});

export const updateProfileInput = z.object({
  displayName: displayName.nullish(),
  bio: bio.nullish(),
  email: notNull(email),
});

export const bulkUserUpdate = z.object({
  displayName: displayName.nullish(),
  bio: bio.nullish(),
  email: notNull(email),
  role: notNull(role),
});

export const createPostInput = z.object({
  title,
  content,
  published: z
    .boolean()
    .nullish()
    .transform((value) => value ?? false),
});

export const updatePostInput = z.object({
  title: notNull(title),
  content: notNull(content),
  published: notNull(z.boolean()),
});

/** Zod issues as the contract's FieldErrors, under a path prefix such as ['inputs', '3']. */
export function fieldErrors(error: z.ZodError, prefix: string[]): FieldError[] {
  return error.issues.map((issue) => {
    const path = [...prefix, ...issue.path.map(String)];
    const field = path.at(-1);
    return { path, message: field === undefined ? issue.message : `${field} ${issue.message}` };
  });
}

/** Parses input or throws a ValidationError listing every bad field with its path. */
export function parseInput<T extends z.ZodTypeAny>(schema: T, value: unknown, prefix: string[]): z.output<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw new ValidationError(fieldErrors(result.error, prefix));
  return result.data;
}
