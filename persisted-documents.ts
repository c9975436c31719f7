import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse } from 'graphql';

/**
 * Trusted documents by id: each id of the manifest as written, and `sha256:<hex>` of each
 * document's text, the GraphQL-over-HTTP persisted documents appendix's own identifier. With
 * the manifest that codegen writes (client preset, `persistedDocuments` with SHA-256) both
 * name the same document.
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

// A custom document identifier is made of the URL-safe characters (no colon); codegen's are hex.
const CUSTOM_ID = /^[A-Za-z0-9._~-]{1,200}$/;

/**
 * Reads a manifest: a JSON object of id -> GraphQL document text, as GraphQL Code
 * Generator's client preset writes it to persisted-documents.json. Every document must parse;
 * whether it still validates against the schema is checked per request, as for any query.
 */
export function readPersistedDocuments(path: string): PersistedDocuments {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ManifestError(code === 'ENOENT' ? `no file at ${path}` : `cannot read ${path} (${code ?? (error as Error).message})`, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ManifestError(`${path} is not JSON`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new ManifestError(`${path} is not an object of id -> document`);
  const documents = new Map<string, string>();
  for (const [id, document] of Object.entries(json)) {
    const at = ` (at ${JSON.stringify(id)})`;
    if (!CUSTOM_ID.test(id)) throw new ManifestError(`${path} is not an object of id -> document: expected ids of letters, digits and - . _ ~${at}`);
    if (typeof document !== 'string') throw new ManifestError(`${path} is not an object of id -> document: expected a GraphQL document for each id${at}`);
    try {
      parse(document);
    } catch (error) {
      throw new ManifestError(`${path}: the document of ${id} is not GraphQL (${(error as Error).message})`);
    }
    documents.set(id, document);
    documents.set(sha256DocumentId(document), document);
  }
  return documents;
}
