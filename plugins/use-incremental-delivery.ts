import { useDeferStream } from '@graphql-yoga/plugin-defer-stream';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import { mergeParts, type Payload } from '../responses/answer-parts.js';

/** Media types in which Yoga sends an answer part by part, and the wildcards that take them. */
const PART_TYPES = new Set(['multipart/mixed', 'multipart/*', 'text/event-stream', 'text/*', '*/*']);

/** True when the request's Accept header (absent means anything) takes an answer in parts. */
export function acceptsParts(request: Request): boolean {
  const accept = request.headers.get('accept');
  if (accept === null) return true;
  return accept.split(',').some((entry) => PART_TYPES.has((entry.split(';')[0] ?? '').trim().toLowerCase()));
}

/**
 * `@defer` and `@stream` (Yoga's defer-stream plugin: the validation rules, and the
 * directives wherever the schema lacks them), so that a client gets the fast parts of an
 * answer first, over `multipart/mixed` or server-sent events as its Accept header asks.
 *
 * A client that can read neither gets the whole answer as one JSON response once every part
 * is done, rather than Yoga's 406 with an empty body after the operation has run anyway. This
 * runs in onExecutionResult, so list it before the plugins that share answers: they then see
 * the whole answer.
 */
export function useIncrementalDelivery(): Plugin {
  return {
    onPluginInit({ addPlugin }) {
      // biome-ignore lint/suspicious/noExplicitAny: the plugin's own typing asks for any, as Yoga's docs show; unknown does not fit Yoga's Plugin type.
      addPlugin(useDeferStream<Record<string, any>>());
    },
    onExecutionResult({ request, result, setResult }) {
      if (!isAsyncIterable(result) || acceptsParts(request)) return;
      return mergeParts(result as AsyncIterable<Payload>).then((whole) => setResult(whole));
    },
  };
}
