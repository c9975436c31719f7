import { BREAK, type DocumentNode, type ExecutionArgs, type ExecutionResult, execute, getOperationAST, GraphQLError, type Source, visit } from 'graphql';
import { compileQuery, isCompiledQuery } from 'graphql-jit';
import type { Plugin } from 'graphql-yoga';

/** How an operation is run: see useExecution. */
export type Execution = 'compiled' | 'graphql-js' | 'incremental';

export interface ExecutionOptions {
  /** Queries are compiled by graphql-jit; otherwise graphql-js runs them like mutations. */
  compileQueries: boolean;
  /** Told, once per operation of a document, how it will run. */
  onPlan?: (execution: Execution) => void;
}

type Run = (args: ExecutionArgs) => ExecutionResult | Promise<ExecutionResult>;

/**
 * Picks the executor of each operation. Yoga's own executor writes the fields of an object in
 * the order their resolvers finish, not in the order the document asks for them (the GraphQL
 * spec says it should, and graphql-js does), so it runs only what it alone can run: documents
 * with `@defer` or `@stream`. Mutations run on graphql-js. Queries run compiled by graphql-jit,
 * which turns each document once into JavaScript that resolves it without walking the
 * document again; test/compiled-execution.test.ts runs every query of the repository both
 * ways and requires byte-identical answers. A query that does not compile runs on graphql-js.
 */
export function useExecution(options: ExecutionOptions): Plugin {
  // One plan per document (Yoga's parser cache hands out the same object for the same text,
  // and keeps at most 1000) and per operation name.
  const plans = new WeakMap<DocumentNode, Map<string | null, Run | null>>();

  const planFor = (args: ExecutionArgs): Run | null => {
    const name = args.operationName ?? null;
    let byName = plans.get(args.document);
    if (!byName) {
      byName = new Map();
      plans.set(args.document, byName);
    }
    let run = byName.get(name);
    if (run === undefined) {
      const [execution, planned] = plan(args, options.compileQueries);
      run = planned;
      byName.set(name, run);
      options.onPlan?.(execution);
    }
    return run;
  };

  return {
    onExecute({ args, setExecuteFn }) {
      const run = planFor(args);
      if (run) setExecuteFn(run);
    },
  };
}

function plan(args: ExecutionArgs, compileQueries: boolean): [Execution, Run | null] {
  if (incremental(args.document)) return ['incremental', null];
  const operation = getOperationAST(args.document, args.operationName);
  if (compileQueries && operation?.operation === 'query') {
    const compiled = compile(args);
    if (compiled) return ['compiled', compiled];
  }
  return ['graphql-js', execute];
}

function compile(args: ExecutionArgs): Run | null {
  const query = compileQuery(args.schema, args.document, args.operationName ?? undefined, {
    // Their stacks are never shown to a client, and errors as values are frequent.
    disablingCapturingStackErrors: true,
  });
  if (!isCompiledQuery(query)) return null;
  const source = args.document.loc?.source;
  // Where each line of the document starts: found once per document, on its first error.
  let lines: DocumentLines | undefined;
  const documentLines = source && (() => (lines ??= { source, lineStarts: lineStartsOf(source.body) }));
  const asGraphqlJs = (result: ExecutionResult) => asGraphqlJsAnswers(result, documentLines);
  return (run) => {
    const result = query.query(run.rootValue, run.contextValue, run.variableValues);
    return result instanceof Promise ? result.then(asGraphqlJs) : asGraphqlJs(result);
  };
}

/**
 * graphql-jit writes `data` first, graphql-js `errors`, and a client may compare bytes. Its
 * errors carry their locations as such, where graphql-js's carry the document positions they
 * come from: whatever copies an error (masking does) keeps positions, and so the locations.
 */
interface DocumentLines {
  source: Source;
  /** The offset in the document's text at which each line starts. */
  lineStarts: number[];
}

function asGraphqlJsAnswers(result: ExecutionResult, documentLines: (() => DocumentLines) | undefined): ExecutionResult {
  if (!result.errors?.length) return result;
  const { errors, data, ...rest } = result;
  return { errors: documentLines ? errors.map((error) => located(error, documentLines)) : errors, data, ...rest };
}

function located(error: GraphQLError, documentLines: () => DocumentLines): GraphQLError {
  if (error.nodes || !error.locations?.length) return error;
  const { source, lineStarts } = documentLines();
  const positions = error.locations.map(({ line, column }) => (lineStarts[line - 1] ?? 0) + column - 1);
  return new GraphQLError(error.message, {
    source,
    positions,
    path: error.path,
    originalError: error.originalError,
    extensions: error.extensions,
  });
}

function lineStartsOf(text: string): number[] {
  const lineStarts = [0];
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) lineStarts.push(at + 1);
  return lineStarts;
}

/** True when `@defer` or `@stream` appears anywhere in the document (fragments included). */
function incremental(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    Directive(node) {
      if (node.name.value !== 'defer' && node.name.value !== 'stream') return undefined;
      found = true;
      return BREAK;
    },
  });
  return found;
}
