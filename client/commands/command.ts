import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import type { ExecutionResult, PartialResult } from '../execute.js';

/** What a command gets to work with; the CLI builds it once from the environment. */
export interface CommandContext {
  /** Runs one operation against the configured gatherql (GATHERQL_URL, GATHERQL_TOKEN). */
  execute<TData, TVariables>(document: TypedDocumentNode<TData, TVariables>, variables: TVariables): Promise<ExecutionResult<TData>>;
  /** The same, for an operation that defers parts: the answer so far after each part that arrives. */
  executeIncrementally<TData, TVariables>(document: TypedDocumentNode<TData, TVariables>, variables: TVariables): AsyncIterable<PartialResult<TData>>;
  /** Subscribes (over SSE), yielding each event until the stream ends or the command is interrupted (Ctrl-C). */
  subscribe<TData, TVariables>(document: TypedDocumentNode<TData, TVariables>, variables: TVariables): AsyncIterable<ExecutionResult<TData>>;
  /** The process environment, for secrets that must never be command-line arguments. */
  env: Record<string, string | undefined>;
  /** Writes a line to standard output. */
  print(text: string): void;
  /** Writes a line to standard error. */
  warn(text: string): void;
}

/** One subcommand of `npm run client -- <name> …`. */
export interface Command {
  name: string;
  /** Arguments after the name, e.g. `[--first N] [--after CURSOR]`. */
  usage: string;
  summary: string;
  /** Resolves with the process exit code. Throws UsageError on bad arguments. */
  run(args: string[], context: CommandContext): Promise<number>;
}

/** Bad command-line arguments: the CLI prints the message and the command's usage, exit 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
