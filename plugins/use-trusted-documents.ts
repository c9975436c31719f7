import { usePersistedOperations } from '@graphql-yoga/plugin-persisted-operations';
import { parse } from 'graphql';
import { createGraphQLError, type GraphQLParams, type Plugin } from 'graphql-yoga';
import { socketOperationOf } from '../operation-facts.js';
import type { PersistedDocuments } from '../persisted-documents.js';

export interface TrustedDocumentsOptions {
  /** `allow`: a request may send a document id or the document itself; `only`: an id, nothing else. */
  mode: 'allow' | 'only';
  /** Id -> document text: the manifest that codegen writes (see readPersistedDocuments). */
  documents: PersistedDocuments;
}

/** An id as a client sent it, cut short for a message: a hostile one may be long. */
const shown = (id: string) => JSON.stringify(id.length > 80 ? `${id.slice(0, 80)}…` : id);

/**
 * The id a request names: `documentId` (the GraphQL-over-HTTP persisted documents appendix,
 * in the body or, for GET, the query string; Yoga's GET parser keeps only the spec's four
 * parameters), else Apollo's `extensions.persistedQuery.sha256Hash`, which is the appendix's
 * `sha256:` id. Null when there is none, or it is not a string.
 */
export function documentIdOf(params: GraphQLParams & { documentId?: unknown }, request: Request | null): string | null {
  if (params.documentId !== undefined) return typeof params.documentId === 'string' && params.documentId !== '' ? params.documentId : null;
  if (request?.method === 'GET') {
    const id = new URL(request.url, 'http://localhost').searchParams.get('documentId');
    if (id) return id;
  }
  const persisted = (params.extensions as { persistedQuery?: { version?: unknown; sha256Hash?: unknown } } | undefined)?.persistedQuery;
  if (persisted?.version === 1 && typeof persisted.sha256Hash === 'string' && persisted.sha256Hash !== '') return `sha256:${persisted.sha256Hash}`;
  return null;
}

/**
 * Trusted documents (Yoga's persisted-operations plugin): a request may name a document of
 * the manifest by id instead of sending its text, which then runs as if it had been sent, so
 * the response cache and the sharing of queries in flight key it by that text. Under `only`,
 * nothing else runs: a plain document is refused with PERSISTED_QUERY_ONLY (HTTP 400) and a
 * message that says why, which is what GraphiQL then shows. An unknown id is
 * PERSISTED_QUERY_NOT_FOUND (HTTP 404), a request with neither id nor document BAD_REQUEST.
 * Persisted documents are validated like any other, so a manifest older than the schema fails
 * as its documents would.
 */
export function useTrustedDocuments(options: TrustedDocumentsOptions): Plugin {
  const { documents, mode } = options;
  const notFound = (id: string) =>
    createGraphQLError(
      `No trusted document has the id ${shown(id)}: send the id of an operation in the manifest that codegen writes (persisted-documents.json)${mode === 'allow' ? ', or the operation itself' : ''}.`,
      { extensions: { code: 'PERSISTED_QUERY_NOT_FOUND', http: { status: 404 } } },
    );
  const persistedQueryOnly = () =>
    createGraphQLError(
      'This server runs trusted documents only (PERSISTED_DOCUMENTS=only): send {"documentId": "<hash>"} of an operation in its manifest instead of the query text. Ad-hoc queries, from GraphiQL too, are refused here.',
      { extensions: { code: 'PERSISTED_QUERY_ONLY', http: { status: 400 } } },
    );
  const keyNotFound = () =>
    createGraphQLError(
      mode === 'allow'
        ? 'A request needs a "query", or a "documentId" string naming a trusted document.'
        : 'A request needs a "documentId" string naming a trusted document (PERSISTED_DOCUMENTS=only).',
      { extensions: { code: 'BAD_REQUEST', http: { status: 400 } } },
    );
  return {
    onPluginInit({ addPlugin }) {
      addPlugin(
        usePersistedOperations({
          allowArbitraryOperations: mode === 'allow',
          extractPersistedOperationId: (params, request) => documentIdOf(params, request),
          // A Map, not the parsed JSON object: an id such as "__proto__" or "constructor" must be just unknown.
          getPersistedOperation: (id) => documents.get(id) ?? null,
          customErrors: {
            notFound: ({ params, request }) => notFound(documentIdOf(params, request) ?? ''),
            persistedQueryOnly,
            keyNotFound,
          },
        }),
      );
    },
    // An operation over a WebSocket has no params phase (only envelop's hooks run): its id is
    // resolved, and `only` enforced, as it is parsed. Its `query` is a string, maybe empty.
    onParse({ context, setParsedDocument }) {
      if (!socketOperationOf(context)) return;
      const params = ((context as { params?: GraphQLParams & { documentId?: unknown } }).params ?? {}) as GraphQLParams & { documentId?: unknown };
      const id = documentIdOf(params, null);
      if (id === null) {
        if (mode === 'only') throw persistedQueryOnly();
        if (!params.query) throw keyNotFound();
        return;
      }
      const text = documents.get(id);
      if (text === undefined) throw notFound(id);
      setParsedDocument(parse(text));
    },
  };
}
