// Reads an answer that comes in parts (multipart/mixed, for @defer and @stream): meros, a
// maintained multipart reader, splits the body; @graphql-tools/utils merges each part into
// the answer so far, as the incremental delivery format describes.
import { mergeIncrementalResult } from '@graphql-tools/utils';
import type { ExecutionResult } from 'graphql';
import { meros } from 'meros/browser';

/** The body is not an answer in parts; the message says what was wrong with it. */
export class MalformedParts extends Error {
  override name = 'MalformedParts';
}

/** The answer so far: what the first part brought and every later part added. */
export interface AnswerSoFar {
  data?: unknown;
  errors?: unknown[];
}

/** One payload: the first has `data` (and maybe `errors`), later ones `incremental` entries. */
interface Payload {
  data?: unknown;
  errors?: unknown;
  incremental?: ExecutionResult[];
  hasNext?: boolean;
}

const isPayload = (body: unknown): body is Payload =>
  typeof body === 'object' && body !== null && ['data', 'errors', 'incremental', 'hasNext'].some((key) => key in body);

/**
 * Yields the answer so far after each part of a `multipart/mixed` response, and whether more
 * parts are to come. It is one object, updated in place by later parts. Throws MalformedParts
 * on a part that is not a GraphQL payload, on errors that fail `isError`, and when the body
 * ends before the part that says it is the last.
 */
export async function* answerInParts(response: Response, isError: (value: unknown) => boolean): AsyncGenerator<{ answer: AnswerSoFar; hasNext: boolean }> {
  const parts = await meros(response);
  if (parts instanceof Response) throw new MalformedParts('a multipart body without parts');
  const answer: AnswerSoFar = {};
  for await (const part of parts) {
    const payload: unknown = part.json ? part.body : undefined;
    if (!isPayload(payload)) throw new MalformedParts('a part that is not a GraphQL payload');
    if (payload.data !== undefined) answer.data = payload.data;
    if (payload.errors !== undefined) {
      if (!Array.isArray(payload.errors) || !payload.errors.every(isError)) throw new MalformedParts('a part whose errors are malformed');
      answer.errors = [...(answer.errors ?? []), ...payload.errors];
    }
    for (const incremental of payload.incremental ?? []) {
      mergeIncrementalResult({ incrementalResult: incremental, executionResult: answer as ExecutionResult });
    }
    const hasNext = payload.hasNext === true;
    yield { answer, hasNext };
    if (!hasNext) return;
  }
  throw new MalformedParts('parts that end before the last one');
}
