import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { type DocumentNode, type GraphQLSchema, Kind, parse, validate } from 'graphql';
import ts from 'typescript';

/** One operation of a document found in the repository, and where it was found. */
export interface SuiteOperation {
  document: string;
  operationName: string | null;
  kind: 'query' | 'mutation' | 'subscription';
  origin: string;
}

const ROOT = join(import.meta.dirname, '..', '..');

/**
 * Every GraphQL operation the repository writes down that is valid against `schema`: the
 * string literals of the test suite (a literal that parses and validates is a document,
 * whatever it is used for), the client's operations, and the `graphql` blocks of the README
 * and docs/. Template literals with substitutions are left out: their text is not known
 * until the test runs.
 */
export function suiteOperations(schema: GraphQLSchema): SuiteOperation[] {
  const texts = new Map<string, string>();
  const add = (text: string, origin: string) => {
    if (!texts.has(text)) texts.set(text, origin);
  };
  for (const file of filesUnder('test', '.ts')) for (const text of stringLiterals(file)) add(text, relative(ROOT, file));
  for (const file of filesUnder('client/operations', '.graphql')) add(readFileSync(file, 'utf8'), relative(ROOT, file));
  for (const file of ['README.md', ...filesUnder('docs', '.md')]) {
    for (const block of readFileSync(file, 'utf8').matchAll(/```graphql\n([\s\S]*?)```/g)) add(block[1]!, relative(ROOT, file));
  }
  const operations: SuiteOperation[] = [];
  for (const [text, origin] of texts) {
    const document = validDocument(schema, text);
    if (!document) continue;
    for (const definition of document.definitions) {
      if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
      const operationName = definition.name?.value ?? null;
      // An anonymous operation beside others cannot be run: it has no name to ask for.
      if (operationName === null && document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION).length > 1) continue;
      operations.push({ document: text, operationName, kind: definition.operation, origin });
    }
  }
  return operations;
}

function validDocument(schema: GraphQLSchema, text: string): DocumentNode | null {
  if (!/[{]/.test(text)) return null;
  let document: DocumentNode;
  try {
    document = parse(text);
  } catch {
    return null;
  }
  return validate(schema, document).length === 0 ? document : null;
}

function filesUnder(directory: string, extension: string): string[] {
  const entries = readdirSync(join(ROOT, directory), { withFileTypes: true, recursive: true });
  return entries.filter((entry) => entry.isFile() && entry.name.endsWith(extension)).map((entry) => join(entry.parentPath, entry.name));
}

function stringLiterals(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const found: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) found.push(node.text);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}
