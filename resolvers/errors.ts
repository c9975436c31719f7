/**
 * Errors that are answers, not failures: the schema exposes each subclass as a member of
 * a result union (errors as data). Anything that is not an AppError stays unexpected and
 * is masked as INTERNAL_SERVER_ERROR.
 */
export class AppError extends Error {
  override name = 'AppError';
}

export interface FieldError {
  /** Path of the offending input field, e.g. ['input', 'email'] or ['inputs', '3', 'username']. */
  path: string[];
  message: string;
}

export class ValidationError extends AppError {
  override name = 'ValidationError';
  constructor(readonly fields: FieldError[]) {
    super(fields.length === 1 ? `Invalid input: ${fields[0]!.message}` : `Invalid input: ${fields.length} fields are invalid`);
  }
}

export class UsernameTakenError extends AppError {
  override name = 'UsernameTakenError';
  constructor(readonly username: string) {
    super(`The username "${username}" is taken`);
  }
}

export class InvalidCredentialsError extends AppError {
  override name = 'InvalidCredentialsError';
  constructor() {
    super('Unknown username or wrong password');
  }
}

export class NotFoundError extends AppError {
  override name = 'NotFoundError';
  constructor(
    readonly id: string,
    what = 'Nothing',
  ) {
    super(`${what} has the id ${id}`);
  }
}

export class ForbiddenError extends AppError {
  override name = 'ForbiddenError';
}

/** UNAVAILABLE: a service the operation needs (Redis) cannot be reached now; asking again later may succeed. */
export type RequestErrorCode = 'BAD_USER_INPUT' | 'UNAUTHENTICATED' | 'FORBIDDEN' | 'RATE_LIMITED' | 'UNAVAILABLE';

/**
 * A problem with the request as a whole (bad arguments, no or bad token): it fails the
 * field with `extensions.code` rather than being data. The HTTP layer turns it into a
 * GraphQL error; resolvers stay free of GraphQL types.
 */
export class RequestError extends Error {
  override name = 'RequestError';
  constructor(
    readonly code: RequestErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}
