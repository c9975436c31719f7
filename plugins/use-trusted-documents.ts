import { usePersistedOperations } from '@graphql-yoga/plugin-persisted-operations';
import { createGraphQLError, type Plugin } from 'graphql-yoga';
import type { PersistedDocuments } from '../persisted-documents.js';

export interface TrustedDocumentsOptions {
  /** `allow`: a request may send a document id or the document itself; `only`: an id, nothing else. */
  mode: 'allow' | 'only';
  /** Id -> document text: the manifest that codegen writes (see readPersistedDocuments). */
  documents: PersistedDocuments;
}

/** What names the document of an operation: its text, or a trusted document's id (over HTTP, Yoga's params; over a WebSocket, the subscribe payload). */
export interface NamedDocument {
  query?: string | null;
  documentId?: unknown;
  extensions?: Record<string, unknown> | null;
}

/** An id as a client sent it, cut short for a message: a hostile one may be long. */
const shown = (id: string) => JSON.stringify(id.length > 80 ? `${id.slice(0, 80)}…` : id);

/**
 * The id a request names: `documentId` (the GraphQL-over-HTTP persisted documents appendix,
 * in the body or, for GET, the query string; Yoga's GET parser keeps only the spec's four
 * parameters), else Apollo's `extensions.persistedQuery.sha256Hash`, which is the appendix's
 * `sha256:` id. Null when there is none, or it is not a string.
 */
export function documentIdOf(params: NamedDocument, request: Request | null): string | null {
  if (params.documentId !== undefined) return typeof params.documentId === 'string' && params.documentId !== '' ? params.documentId : null;
  if (request?.method === 'GET') {
    const id = new URL(request.url, 'http://localhost').searchParams.get('documentId');
    if (id) return id;
  }
  const persisted = (params.extensions as { persistedQuery?: { version?: unknown; sha256Hash?: unknown } } | undefined)?.persistedQuery;
  if (persisted?.version === 1 && typeof persisted.sha256Hash === 'string' && persisted.sha256Hash !== '') return `sha256:${persisted.sha256Hash}`;
  return null;
}

/** The errors of trusted documents, worded for the mode. */
function trustedDocumentErrors(mode: TrustedDocumentsOptions['mode']) {
  return {
    notFound: (id: string) =>
      createGraphQLError(
        `No trusted document has the id ${shown(id)}: send the id of an operation in the manifest that codegen writes (persisted-documents.json)${mode === 'allow' ? ', or the operation itself' : ''}.`,
        { extensions: { code: 'PERSISTED_QUERY_NOT_FOUND', http: { status: 404 } } },
      ),
    persistedQueryOnly: () =>
      createGraphQLError(
        'This server runs trusted documents only (PERSISTED_DOCUMENTS=only): send {"documentId": "<hash>"} of an operation in its manifest instead of the query text. Ad-hoc queries, from GraphiQL too, are refused here.',
        { extensions: { code: 'PERSISTED_QUERY_ONLY', http: { status: 400 } } },
      ),
    keyNotFound: () =>
      createGraphQLError(
        mode === 'allow'
          ? 'A request needs a "query", or a "documentId" string naming a trusted document.'
          : 'A request needs a "documentId" string naming a trusted document (PERSISTED_DOCUMENTS=only).',
        { extensions: { code: 'BAD_REQUEST', http: { status: 400 } } },
      ),
  };
}

/**
 * Trusted documents (Yoga's persisted-operations plugin): a request may name a document of
 * the manifest by id instead of sending its text, which then runs as if it had been sent, so
 * the response cache and the sharing of queries in flight key it by that text. Under `only`,
 * nothing else runs: a plain document is refused with PERSISTED_QUERY_ONLY (HTTP 400) and a
 * message that says why, which is what GraphiQL then shows. An unknown id is
 * PERSISTED_QUERY_NOT_FOUND (HTTP 404), a request with neither id nor document BAD_REQUEST.
 * Persisted documents are validated like any other, so a manifest older than the schema fails
 * as its documents would. An operation over a WebSocket has no params phase (only envelop's
 * hooks run): the transport asks trustedSource for the text it parses.
 */
export function useTrustedDocuments(options: TrustedDocumentsOptions): Plugin {
  const { documents, mode } = options;
  const errors = trustedDocumentErrors(mode);
  return {
    onPluginInit({ addPlugin }) {
      addPlugin(
        usePersistedOperations({
          allowArbitraryOperations: mode === 'allow',
          extractPersistedOperationId: (params, request) => documentIdOf(params, request),
          // A Map, not the parsed JSON object: an id such as "__proto__" or "constructor" must be just unknown.
          getPersistedOperation: (id) => documents.get(id) ?? null,
          customErrors: {
            notFound: ({ params, request }) => errors.notFound(documentIdOf(params, request) ?? ''),
            persistedQueryOnly: errors.persistedQueryOnly,
            keyNotFound: errors.keyNotFound,
          },
        }),
      );
    },
  };
}

/**
 * The text an operation over a WebSocket runs: the trusted document its params name, else
 * its own `query` (under `allow`); throws what the plugin answers over HTTP. The transport
 * parses this text, not the `query` the client sent beside an id: Yoga's parse cache keys a
 * document by the text it was parsed from, and a document set in place of another text would
 * be found again under that text by every later request, over HTTP too.
 */
export function trustedSource(options: TrustedDocumentsOptions): (params: NamedDocument) => string {
  const { documents, mode } = options;
  const errors = trustedDocumentErrors(mode);
  return (params) => {
    const id = documentIdOf(params, null);
    if (id === null) {
      if (mode === 'only') throw errors.persistedQueryOnly();
      if (!params.query) throw errors.keyNotFound();
      return params.query;
    }
    const text = documents.get(id);
    if (text === undefined) throw errors.notFound(id);
    return text;
  };
}
