import { userUniqueViolation } from '../db/constraint-errors.js';
import type { UserRecord } from '../db/records.js';
import { selectCredentials, insertUserWithProfile } from '../db/users.js';
import { loadersForViewer } from '../loaders/index.js';
import { signToken } from './auth.js';
import type { DomainContext } from './context.js';
import { InvalidCredentialsError, RequestError, UsernameTakenError, ValidationError } from './errors.js';
import { hashPassword } from './passwords.js';
import { findUser } from './users.js';
import { couldBeUsername, parseInput, signUpInput } from './validation.js';

/** The most accounts one importUsers call may create. */
export const MAX_IMPORT = 100;

export interface AuthPayload {
  token: string;
  user: UserRecord;
}

type SignUpFields = ReturnType<typeof signUpInput.parse>;

/**
 * Writes the account and its profile in one transaction. The unique index on the
 * case-folded username decides a duplicate, so two concurrent sign-ups cannot both win.
 */
async function createAccount(ctx: DomainContext, fields: SignUpFields, passwordHash: string, path: string[]): Promise<UserRecord> {
  try {
    const id = await ctx.db.transaction().execute((trx) =>
      insertUserWithProfile(trx, {
        username: fields.username,
        email: fields.email,
        passwordHash,
        displayName: fields.displayName ?? null,
        bio: fields.bio ?? null,
      }),
    );
    return (await findUser(ctx, id))!;
  } catch (error) {
    const key = userUniqueViolation(error);
    if (key === 'username') throw new UsernameTakenError(fields.username);
    if (key === 'email') throw new ValidationError([{ path: [...path, 'email'], message: 'email is already registered' }]);
    throw error;
  }
}

/**
 * From here on the request acts as the user who just signed up or logged in, so the
 * payload shows them what they may see of themselves (their email, their drafts).
 */
async function signIn(ctx: DomainContext, user: UserRecord): Promise<AuthPayload> {
  ctx.viewer = { id: user.id, role: user.role };
  ctx.loaders = loadersForViewer(ctx.loaders, { db: ctx.db, viewerId: user.id });
  ctx.loaders.userById.prime(user.id, user);
  return { token: await signToken(ctx.tokenKey, user), user };
}

export async function signUp(ctx: DomainContext, input: unknown): Promise<AuthPayload> {
  const fields = parseInput(signUpInput, input, ['input']);
  return signIn(ctx, await createAccount(ctx, fields, await ctx.passwords.hash(fields.password), ['input']));
}

// Hashing something for an unknown username too makes "no such user" and "wrong
// password" take the same time, so timing does not reveal which usernames exist.
let decoyHash: Promise<string> | undefined;

/** A hash to check a password against when the user does not exist; made once, when first needed. */
function decoy(): Promise<string> {
  decoyHash ??= hashPassword('decoy password, never valid');
  return decoyHash;
}

/**
 * Signs in. Throttled before any password is checked (see LoginThrottle): repeated failures
 * for a username, or from a client, are refused with RATE_LIMITED, the same for an unknown
 * username as for a known one.
 */
export async function logIn(ctx: DomainContext, username: string, password: string): Promise<AuthPayload> {
  const attempt = await ctx.loginThrottle.begin(username, await ctx.clientKey());
  const credentials = couldBeUsername(username) ? await selectCredentials(ctx.db, username) : undefined;
  const stored = credentials?.password_hash ?? (await decoy());
  const matches = password.length <= 256 && (await ctx.passwords.verify(password, stored));
  if (!credentials || !matches) {
    await attempt.failed();
    throw new InvalidCredentialsError();
  }
  await attempt.succeeded();
  return signIn(ctx, (await findUser(ctx, credentials.id))!);
}

export type ImportResult = { user: UserRecord } | ValidationError | UsernameTakenError;

/**
 * Creates each valid account; one result per input, in input order. A bad item says why
 * and does not stop the others; a username twice in one batch is taken the second time.
 */
export async function importUsers(ctx: DomainContext, inputs: readonly unknown[]): Promise<ImportResult[]> {
  if (inputs.length > MAX_IMPORT) {
    throw new RequestError('BAD_USER_INPUT', `importUsers takes at most ${MAX_IMPORT} inputs, got ${inputs.length}`);
  }
  const seen = new Set<string>();
  const planned = inputs.map((input, index) => {
    const path = ['inputs', String(index)];
    try {
      const fields = parseInput(signUpInput, input, path);
      const key = fields.username.toLowerCase();
      if (seen.has(key)) return new UsernameTakenError(fields.username);
      seen.add(key);
      return { fields, path };
    } catch (error) {
      if (error instanceof ValidationError) return error;
      throw error;
    }
  });
  // Hashing is the slow part and runs on the thread pool, so all hashes are made at once.
  const hashes = await Promise.all(planned.map((item) => (item instanceof Error ? null : ctx.passwords.hashInTurn(item.fields.password))));
  const results: ImportResult[] = [];
  for (const [index, item] of planned.entries()) {
    if (item instanceof Error) {
      results.push(item);
      continue;
    }
    try {
      results.push({ user: await createAccount(ctx, item.fields, hashes[index]!, item.path) });
    } catch (error) {
      if (error instanceof ValidationError || error instanceof UsernameTakenError) results.push(error);
      else throw error;
    }
  }
  return results;
}
