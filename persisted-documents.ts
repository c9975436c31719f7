import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse } from 'graphql';

/**
 * Trusted documents by id. Each document of a manifest answers to the id it was written with,
 * and to the SHA-256 of its text in both forms that clients send: `sha256:<hex>` (the
 * GraphQL-over-HTTP persisted documents appendix; GraphQL Code Generator's client preset
 * writes it from 6.0 on) and the bare `<hex>` (the client preset before 6.0, Apollo's manifest
 * and its `persistedQuery.sha256Hash`). So a client built with either generation of codegen
 * finds its documents in a manifest written by the other.
 */
export type PersistedDocuments = ReadonlyMap<string, string>;

/** The manifest cannot be used; the message says what was expected and what was found. */
export class ManifestError extends Error {
  override name = 'ManifestError';
}

/** `sha256:` and the lower-case hex SHA-256 of the text, as the appendix defines it. */
export function sha256DocumentId(text: string): string {
  return `sha256:${createHash('sha256').update(text, 'utf8').digest('hex')}`;
}

// The appendix's ids: a prefixed one (`sha256:` is the one it defines), or a custom one of the
// URL-safe characters without a colon. Codegen's and Apollo's are hex, with or without the prefix.
const SHA256_ID = /^sha256:[0-9a-f]{64}$/;
const CUSTOM_ID = /^[A-Za-z0-9._~-]{1,200}$/;
const IDS = 'ids sha256:<64 hex digits>, or of letters, digits and - . _ ~';

/** `format` of the manifest that Apollo's generate-persisted-query-manifest writes. */
const APOLLO_FORMAT = 'apollo-persisted-query-manifest';

/**
 * Reads a manifest: a JSON object of id -> GraphQL document text, as GraphQL Code Generator's
 * client preset writes it to persisted-documents.json (ids `sha256:<hex>` or `<hex>`, or ids
 * of your own), or Apollo's persisted query manifest (`{"format":
 * "apollo-persisted-query-manifest", "operations": [{ "id", "body", … }]}`). Every document
 * must parse, and a `sha256:` id must be the hash of its text; whether a document still
 * validates against the schema is checked per request, as for any query.
 */
export function readPersistedDocuments(path: string): PersistedDocuments {
  const documents = new Map<string, string>();
  for (const [id, document] of manifestEntries(readJson(path), path)) {
    const at = ` (at ${JSON.stringify(id)})`;
    if (!SHA256_ID.test(id) && !CUSTOM_ID.test(id)) throw new ManifestError(`${path} is not an object of id -> document: expected ${IDS}${at}`);
    if (typeof document !== 'string') throw new ManifestError(`${path} is not an object of id -> document: expected a GraphQL document for each id${at}`);
    try {
      parse(document);
    } catch (error) {
      throw new ManifestError(`${path}: the document of ${id} is not GraphQL (${(error as Error).message})`);
    }
    if (SHA256_ID.test(id) && id !== sha256DocumentId(document)) {
      throw new ManifestError(`${path}: the id ${id} is not the SHA-256 of its document, which is ${sha256DocumentId(document)}`);
    }
    documents.set(id, document);
  }
  // The hash ids come second: an id the manifest writes itself always names its own document.
  for (const document of new Set(documents.values())) {
    const prefixed = sha256DocumentId(document);
    for (const id of [prefixed, prefixed.slice('sha256:'.length)]) if (!documents.has(id)) documents.set(id, document);
  }
  return documents;
}

function readJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ManifestError(code === 'ENOENT' ? `no file at ${path}` : `cannot read ${path} (${code ?? (error as Error).message})`, { cause: error });
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new ManifestError(`${path} is not JSON`);
  }
}

/** The id -> document pairs of either kind of manifest, not yet checked. */
function manifestEntries(json: unknown, path: string): [string, unknown][] {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new ManifestError(`${path} is not an object of id -> document`);
  const manifest = json as { format?: unknown; version?: unknown; operations?: unknown };
  if (manifest.format !== APOLLO_FORMAT) return Object.entries(json);
  if (manifest.version !== 1 || !Array.isArray(manifest.operations)) {
    throw new ManifestError(`${path} is not an Apollo persisted query manifest: expected "version": 1 and a list of "operations"`);
  }
  return manifest.operations.map((operation: { id?: unknown; body?: unknown } | null, index) => {
    if (typeof operation?.id !== 'string')
      throw new ManifestError(`${path} is not an Apollo persisted query manifest: expected an "id" string (at operations[${index}])`);
    return [operation.id, operation.body];
  });
}
