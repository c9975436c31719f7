import type { IncomingMessage } from 'node:http';
import { type DocumentNode, getOperationAST } from 'graphql';

// What the plugins learn of each GraphQL operation, whichever transport brought it. Keyed on
// the operation's initial context, which every hook of the operation sees: Yoga's over HTTP
// (one per operation: a batch has several), the graphql-ws adapter's over WebSocket, where
// there is no Request at all. Request-level plugins (the HTTP histogram, the request log line)
// find the operations of their request through operationsOf.

export type OperationType = 'query' | 'mutation' | 'subscription';

export interface OperationFacts {
  type: OperationType | null;
  /** The operation's name, or null for an anonymous one. */
  name: string | null;
  /** True once it ran (was executed, subscribed, or answered from a cache); false when it was refused first. */
  ran: boolean;
}

const facts = new WeakMap<object, OperationFacts>();
const ofRequest = new WeakMap<Request, object[]>();

/** Says that the operation whose initial context is `context` came with `request`. */
export function belongsTo(request: Request, context: object): void {
  const list = ofRequest.get(request);
  if (!list) ofRequest.set(request, [context]);
  else if (!list.includes(context)) list.push(context);
}

/** Records the operation's type and name as its document says. */
export function noteDocument(context: object, document: DocumentNode, operationName: string | null | undefined): void {
  const operation = getOperationAST(document, operationName ?? undefined);
  const known = facts.get(context);
  facts.set(context, { type: operation?.operation ?? null, name: operation?.name?.value ?? operationName ?? null, ran: known?.ran ?? false });
}

/** Records that the operation ran; `answered` when a plugin answered it without parsing it (a kept answer). */
export function noteRan(context: object, answered?: { type: OperationType; name: string | null }): void {
  const known = facts.get(context);
  facts.set(context, { type: answered?.type ?? known?.type ?? null, name: answered?.name ?? known?.name ?? null, ran: true });
}

/** What is known of the operation whose initial context is `context`. */
export function operationOf(context: object): OperationFacts | undefined {
  return facts.get(context);
}

/** What is known of each operation of an HTTP request, in the order they came. */
export function operationsOf(request: Request): OperationFacts[] {
  return (ofRequest.get(request) ?? []).flatMap((context) => facts.get(context) ?? []);
}

/**
 * What an operation that came over a WebSocket carries in place of a Request: its connection's
 * upgrade request (`req`, as node:http's server context has it, for the client's address), the
 * credentials the connection was opened with, and an id of its own for the log.
 */
export interface SocketOperation {
  requestId: string;
  /** `connectionParams.authorization` of the connection, or null. */
  authorization: string | null;
  /** `performance.now()` when the operation arrived. */
  startedAt: number;
}

/** The initial context the graphql-ws adapter gives each operation. */
export interface SocketOperationContext {
  req: IncomingMessage;
  socketOperation: SocketOperation;
}

/** The socket facts of an operation that came over a WebSocket; undefined for one over HTTP. */
export function socketOperationOf(context: object): SocketOperation | undefined {
  return (context as Partial<SocketOperationContext>).socketOperation;
}
