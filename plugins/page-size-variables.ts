import { type ArgumentNode, type DocumentNode, Kind, visit } from 'graphql';

/** The arguments graphql-armor's cost multiplies a connection by. */
const PAGE_ARGUMENTS = new Set(['first', 'last']);

/** The variables a document gives as page sizes (`first: $n`), by document; none: an empty list. */
const pageVariables = new WeakMap<DocumentNode, readonly string[]>();

/**
 * The names of the variables that `document` passes as `first` or `last`. graphql-armor's cost
 * multiplies a connection only by a literal page size, so the cost of such a document depends
 * on its variables, which validation never sees.
 */
export function pageSizeVariables(document: DocumentNode): readonly string[] {
  let names = pageVariables.get(document);
  if (!names) {
    const found = new Set<string>();
    visit(document, {
      Argument(node) {
        if (PAGE_ARGUMENTS.has(node.name.value) && node.value.kind === Kind.VARIABLE) found.add(node.value.name.value);
      },
    });
    names = [...found];
    pageVariables.set(document, names);
  }
  return names;
}

/**
 * `document` with each page size given by a variable written in as the integer it has in
 * this operation (its value, else its default), so that the cost counts it as it counts a
 * literal. A variable with no integer value is left as it is (counted as 1, as an absent page
 * size is: the field's own default then applies).
 */
export function withPageSizes(document: DocumentNode, variables: Readonly<Record<string, unknown>>): DocumentNode {
  const defaults = new Map<string, unknown>();
  visit(document, {
    VariableDefinition(node) {
      if (node.defaultValue?.kind === Kind.INT) defaults.set(node.variable.name.value, Number(node.defaultValue.value));
    },
  });
  return visit(document, {
    Argument(node): ArgumentNode | undefined {
      if (!PAGE_ARGUMENTS.has(node.name.value) || node.value.kind !== Kind.VARIABLE) return undefined;
      const name = node.value.name.value;
      const value = variables[name] ?? defaults.get(name);
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) return undefined;
      return { ...node, value: { kind: Kind.INT, value: String(value) } };
    },
  });
}
