import { z } from 'zod';
import { type FieldError, ValidationError } from './errors.js';

// The contract's limits, in one place. Text is NFC-normalised so that what is stored
// compares and reads back the same whichever way a client composed it.
const text = () => z.string().transform((value) => value.normalize('NFC'));
// Control characters other than tab and newlines have no business in user-facing text.
const printable = (value: string) => !/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/.test(value);
const noControl = { message: 'must not contain control characters' };

export const username = z
  .string()
  .min(3, 'must be at least 3 characters')
  .max(32, 'must be at most 32 characters')
  .regex(/^[A-Za-z0-9_.]+$/, "may contain only letters, digits, '_' and '.'");

export const email = z
  .string()
  .trim()
  .max(254, 'must be at most 254 characters')
  .pipe(z.email('must be an email address'))
  .transform((value) => value.toLowerCase());

export const password = z
  .string()
  .min(10, 'must be at least 10 characters')
  // scrypt's cost grows with the input; a cap keeps a single request cheap.
  .max(256, 'must be at most 256 characters');

/** Optional profile text: trimmed, and empty means "not set". */
const profileText = (max: number) =>
  text()
    .pipe(z.string().trim().max(max, `must be at most ${max} characters`).refine(printable, noControl))
    .transform((value) => (value === '' ? null : value));

export const displayName = profileText(100);
export const bio = z
  .string()
  .max(2000, 'must be at most 2000 characters')
  .refine((value) => printable(value.replace(/[\t\n\r]/g, '')), noControl)
  .transform((value) => (value.trim() === '' ? null : value.normalize('NFC')));

export const title = text().pipe(
  z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters').refine(printable, noControl),
);
export const content = z.string().max(100_000, 'must be at most 100,000 characters');

export const role = z.enum(['USER', 'ADMIN']);

/** An optional GraphQL input field for which an explicit null means nothing sensible. */
const notNull = <T extends z.ZodType>(schema: T) =>
  z.custom<unknown>((value) => value !== null, 'must not be null').pipe(schema).optional();

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
  published: z.boolean().nullish().transform((value) => value ?? false),
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
