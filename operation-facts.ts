import type { IncomingMessage } from 'node:http';
import { type DocumentNode, getOperationAST } from 'graphql';
import { requestSlot } from './request-slots.js';

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

/** Where one operation's facts are written: shared by its context and its request's list. */
interface Slot {
  facts: OperationFacts | undefined;
}

// The request's list holds slots, never contexts: a Request may outlive its answer in the young
// generation (held by objects that only a full collection frees), and a link from it to the
// context would keep every object of the operation alive through each scavenge with it.
const slots = new WeakMap<object, Slot>();
const ofRequest = requestSlot<Slot[]>('operations');

function slotOf(context: object): Slot {
  let slot = slots.get(context);
  if (!slot) {
    slot = { facts: undefined };
    slots.set(context, slot);
  }
  return slot;
}

/** Says that the operation whose initial context is `context` came with `request`. */
export function belongsTo(request: Request, context: object): void {
  const slot = slotOf(context);
  const list = ofRequest.get(request);
  if (!list) ofRequest.set(request, [slot]);
  else if (!list.includes(slot)) list.push(slot);
}

/** Records the operation's type and name as its document says. */
export function noteDocument(context: object, document: DocumentNode, operationName: string | null | undefined): void {
  const operation = getOperationAST(document, operationName ?? undefined);
  const slot = slotOf(context);
  slot.facts = { type: operation?.operation ?? null, name: operation?.name?.value ?? operationName ?? null, ran: slot.facts?.ran ?? false };
}

/** Records that the operation ran; `answered` when a plugin answered it without parsing it (a kept answer). */
export function noteRan(context: object, answered?: { type: OperationType; name: string | null }): void {
  const slot = slotOf(context);
  const known = slot.facts;
  slot.facts = { type: answered?.type ?? known?.type ?? null, name: answered?.name ?? known?.name ?? null, ran: true };
}

/** What is known of the operation whose initial context is `context`. */
export function operationOf(context: object): OperationFacts | undefined {
  return slots.get(context)?.facts;
}

/** What is known of each operation of an HTTP request, in the order they came. */
export function operationsOf(request: Request): OperationFacts[] {
  // A loop, not flatMap: the metrics ask twice for every request, and flatMap took about 1 µs.
  const operations: OperationFacts[] = [];
  for (const slot of ofRequest.get(request) ?? NO_SLOTS) if (slot.facts) operations.push(slot.facts);
  return operations;
}

const NO_SLOTS: readonly Slot[] = [];

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
