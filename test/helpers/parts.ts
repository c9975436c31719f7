import { mergeIncrementalResult } from '@graphql-tools/utils';
import type { ExecutionResult } from 'graphql';
import { meros } from 'meros/browser';

/** One payload of an answer in parts: the first has `data`, later ones `incremental` entries. */
export interface Payload {
  data?: Record<string, unknown>;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
  incremental?: { data?: Record<string, unknown>; items?: unknown[]; path: (string | number)[]; errors?: unknown[] }[];
  hasNext?: boolean;
}

/** The JSON parts of a `multipart/mixed` response, one at a time, as they arrive. */
export async function partsOf(response: Response): Promise<AsyncGenerator<Payload>> {
  const parts = await meros<Payload>(response);
  if (parts instanceof Response) throw new Error(`expected a multipart answer, got ${response.status} ${response.headers.get('content-type')}`);
  return (async function* () {
    for await (const part of parts) {
      if (!part.json) throw new Error(`a part that is not JSON: ${part.body}`);
      yield part.body;
    }
  })();
}

/** The events of a `text/event-stream` response: each `next` event's payload, until `complete`. */
export async function* eventsOf(response: Response): AsyncGenerator<Payload> {
  const decoder = new TextDecoder();
  let buffered = '';
  const reader = response.body!.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    buffered += decoder.decode(value, { stream: true });
    for (let end = buffered.indexOf('\n\n'); end >= 0; end = buffered.indexOf('\n\n')) {
      const event = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      const name = /^event: (.*)$/m.exec(event)?.[1];
      if (name === 'complete') return;
      const data = /^data: (.*)$/m.exec(event)?.[1];
      if (name === 'next' && data) yield JSON.parse(data) as Payload;
    }
  }
}

/** Adds payloads up into the answer they make so far. */
export class MergedAnswer {
  readonly result: { data?: Record<string, any>; errors?: unknown[] } = {};
  hasNext = true;

  add(payload: Payload): this {
    if (payload.data) this.result.data = payload.data;
    if (payload.errors) this.result.errors = [...(this.result.errors ?? []), ...payload.errors];
    for (const incremental of payload.incremental ?? []) {
      // Typed for graphql-js's errors; the payloads here are JSON, which is what the merge reads.
      mergeIncrementalResult({ incrementalResult: incremental as ExecutionResult, executionResult: this.result as ExecutionResult });
    }
    this.hasNext = payload.hasNext ?? false;
    return this;
  }
}

/** Reads every payload and returns the answer they add up to. */
export async function mergeAll(payloads: AsyncIterable<Payload>, merged = new MergedAnswer()): Promise<MergedAnswer> {
  for await (const payload of payloads) merged.add(payload);
  return merged;
}
