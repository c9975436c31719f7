import { mergeIncrementalResult } from '@graphql-tools/utils';
import type { ExecutionResult } from 'graphql';

/** One payload of an incremental answer: the first has `data`, later ones `incremental` entries. */
export type Payload = ExecutionResult & { hasNext?: boolean; incremental?: Parameters<typeof mergeIncrementalResult>[0]['incrementalResult'][] };

/** Adds one payload of an incremental answer to the whole answer the payloads add up to. */
export function addPart(merged: ExecutionResult, part: Payload): void {
  const whole = merged as ExecutionResult & { errors?: unknown[] };
  if (part.data !== undefined) whole.data = part.data;
  if (part.errors) whole.errors = [...(whole.errors ?? []), ...part.errors];
  if (part.extensions) whole.extensions = { ...whole.extensions, ...part.extensions };
  for (const incremental of part.incremental ?? []) mergeIncrementalResult({ incrementalResult: incremental, executionResult: whole });
}

/** Reads every payload of an incremental answer and merges them into the answer they add up to. */
export async function mergeParts(parts: AsyncIterable<Payload>): Promise<ExecutionResult> {
  const merged: ExecutionResult = {};
  for await (const part of parts) addPart(merged, part);
  return merged;
}

/**
 * Passes every payload on as it comes and, after the last one, hands `done` the whole answer
 * they add up to; not when the client went away before the end (the answer is then partial).
 */
export async function* passingParts(parts: AsyncIterable<Payload>, done: (whole: ExecutionResult) => void): AsyncGenerator<Payload> {
  const merged: ExecutionResult = {};
  for await (const part of parts) {
    addPart(merged, part);
    yield part;
  }
  done(merged);
}
