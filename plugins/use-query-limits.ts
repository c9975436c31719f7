import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { type DocumentNode, type ExecutionArgs, type GraphQLError, type ValidationContext, validate } from 'graphql';
import { createGraphQLError, type Plugin } from 'graphql-yoga';
import { pageSizeVariables, withPageSizes } from './page-size-variables.js';

export interface QueryLimitsOptions {
  /** Deepest field nesting; fragments count by what they contain. Default 12 (the contract's deepest query is 8). */
  maxDepth?: number;
  /**
   * Aliased fields per operation, whatever the field but `__typename` (graphql-armor's allow
   * list: it costs nothing to resolve, and maxTokens bounds how many fit). Default 30.
   */
  maxAliases?: number;
  /** Lexical tokens per document; checked while parsing, so a huge document costs little. Default 2000. */
  maxTokens?: number;
  /** Directives per operation. Default 50. */
  maxDirectives?: number;
  /**
   * graphql-armor's cost: an object costs 2, a scalar 1, a child 1.5 times its cost, and a
   * field with `first: n` n times its cost. Default 250 000: the contract's
   * `posts(first: 50) { … author { posts(first: 5) … } }` costs about 17 000, 100 users with
   * 10 posts each about 126 000, and 100 posts × 100 posts of their authors over 1 000 000.
   */
  maxCost?: number;
  /** Request body bytes, checked before parsing (Content-Length, then the bytes read). Default 1 MiB. */
  maxBodyBytes?: number;
  /** Operations in one batched request (a JSON array). Default 10. */
  maxBatch?: number;
}

/** The defaults, also for Yoga's `batching.limit` (Yoga must accept a batch before this plugin can cap it). */
export const QUERY_LIMIT_DEFAULTS = {
  maxDepth: 12,
  maxAliases: 30,
  maxTokens: 2000,
  maxDirectives: 50,
  maxCost: 250_000,
  maxBodyBytes: 1024 * 1024,
  maxBatch: 10,
} as const satisfies Required<QueryLimitsOptions>;

type ArmorConfig = NonNullable<Parameters<typeof EnvelopArmorPlugin>[0]>;

/** Verdicts of the cost with variables kept per document: a client that sends new page sizes each time only keeps this many. */
const PAGE_COST_VERDICTS_KEPT = 64;
type Limit = 'depth' | 'aliases' | 'tokens' | 'directives' | 'cost';

/** Turns graphql-armor's rejection ("Syntax Error: Query depth limit of 12 exceeded, found 60.") into ours. */
function tooComplex(limit: Limit, max: number, rejection: GraphQLError): GraphQLError {
  const found = /found (\d+(?:\.\d+)?)/.exec(rejection.message)?.[1];
  const foundText = found ? ` (found ${Math.round(Number(found))})` : '';
  return createGraphQLError(`Query too complex: the ${limit} limit is ${max}${foundText}`, {
    extensions: { code: 'QUERY_TOO_COMPLEX', limit, max, ...(found && { found: Math.round(Number(found)) }), http: { status: 400 } },
  });
}

const badInput = (message: string, status: number) => createGraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', http: { status } } });

/** Reads a body up to `maxBytes`, and stops reading (and throws 413) as soon as it is longer. */
async function readAtMost(body: ReadableStream<Uint8Array>, maxBytes: number): Promise<Uint8Array<ArrayBuffer>> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw badInput(`Request body too large: the limit is ${maxBytes} bytes`, 413);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/**
 * Limits against hostile input, all before execution: body size (413) and batch size, then
 * tokens while parsing, then depth, aliases, directives and cost while validating. A query
 * over a limit gets QUERY_TOO_COMPLEX and a message naming the limit; an oversized body or
 * batch gets BAD_USER_INPUT. The limits count fields whatever their name, so they cover
 * fields added later (300 aliased `weather` fields are 300 aliases).
 */
export function useQueryLimits(options: QueryLimitsOptions = {}): Plugin {
  const limits = { ...QUERY_LIMIT_DEFAULTS, ...options };
  // Report into the validation context instead of throwing, so that every exceeded limit is named.
  const report = (limit: Limit, max: number) => ({
    n: max,
    propagateOnRejection: false,
    onReject: [
      (context: ValidationContext | null, error: GraphQLError) => {
        if (context) context.reportError(tooComplex(limit, max, error));
        else throw tooComplex(limit, max, error); // the token limit runs inside the parser: no context
      },
    ],
  });
  const armor: ArmorConfig = {
    // The schema is public (introspection, GraphiQL), so "did you mean" hides nothing worth hiding.
    blockFieldSuggestion: { enabled: false },
    maxTokens: report('tokens', limits.maxTokens),
    maxDepth: { ...report('depth', limits.maxDepth), flattenFragments: true },
    maxAliases: report('aliases', limits.maxAliases),
    maxDirectives: report('directives', limits.maxDirectives),
    costLimit: { ...report('cost', limits.maxCost), maxCost: limits.maxCost, flattenFragments: true },
  };

  // The cost again once the variables are known, for a document that gives a page size by one
  // (`posts(first: $n)`): validation counted it as 1. The verdict of each set of page sizes is
  // kept with the document (a few per document: the same sizes come again and again).
  const pageCost = costLimitRule(armor.costLimit!);
  const verdicts = new WeakMap<DocumentNode, Map<string, GraphQLError | null>>();
  const checkPageCost = (args: ExecutionArgs) => {
    const names = pageSizeVariables(args.document);
    if (names.length === 0) return;
    const variables = args.variableValues ?? {};
    const sizes = names.map((name) => String(variables[name])).join(',');
    let known = verdicts.get(args.document);
    if (!known) {
      known = new Map();
      verdicts.set(args.document, known);
    }
    let verdict = known.get(sizes);
    if (verdict === undefined) {
      verdict = validate(args.schema, withPageSizes(args.document, variables), [pageCost])[0] ?? null;
      if (known.size >= PAGE_COST_VERDICTS_KEPT) known.clear();
      known.set(sizes, verdict);
    }
    if (verdict) throw verdict;
  };

  return {
    onPluginInit({ addPlugin }) {
      addPlugin(EnvelopArmorPlugin(armor));
    },
    onExecute({ args }) {
      checkPageCost(args);
    },
    onSubscribe({ args }) {
      checkPageCost(args);
    },
    onRequestParse({ request, requestParser, setRequestParser, fetchAPI, serverContext }) {
      const length = request.headers.get('content-length');
      if (length !== null) {
        if (!/^\d+$/.test(length)) throw badInput('The Content-Length header is not a byte count', 400);
        if (Number(length) > limits.maxBodyBytes) throw badInput(`Request body too large: the limit is ${limits.maxBodyBytes} bytes`, 413);
      }
      // Node's HTTP parser reads exactly Content-Length bytes as the body (more would be the
      // next request), so over node:http a declared length is the length. Without one
      // (chunked), or from a caller that built the Request itself, count what is actually read.
      const framedByNode = length !== null && (serverContext as { req?: unknown } | undefined)?.req !== undefined;
      if (requestParser && request.body && !framedByNode) {
        const parse = requestParser;
        setRequestParser(async (original) =>
          parse(
            new fetchAPI.Request(original.url, {
              method: original.method,
              headers: original.headers,
              signal: original.signal,
              body: original.body ? await readAtMost(original.body, limits.maxBodyBytes) : null,
            }),
          ),
        );
      }
      return {
        onRequestParseDone({ requestParserResult }) {
          if (Array.isArray(requestParserResult) && requestParserResult.length > limits.maxBatch) {
            throw badInput(`Too many operations in one batch: the limit is ${limits.maxBatch}, found ${requestParserResult.length}`, 413);
          }
        },
      };
    },
    onResultProcess({ result }) {
      // Yoga marks parse and validation failures as the spec's own, which makes them HTTP 200
      // for application/json: right for a query that merely does not validate, wrong for one
      // refused as too costly, which is 400 whatever the client asked to accept.
      for (const single of Array.isArray(result) ? result : [result]) {
        for (const error of (single as { errors?: readonly GraphQLError[] }).errors ?? []) {
          const http = error.extensions?.code === 'QUERY_TOO_COMPLEX' ? error.extensions.http : undefined;
          if (http && typeof http === 'object') (http as { spec?: boolean }).spec = false;
        }
      }
    },
  };
}
