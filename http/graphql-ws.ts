import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type ExecutionArgs, type ExecutionResult, GraphQLError, getOperationAST } from 'graphql';
import type { SubscribePayload } from 'graphql-ws';
import { isAsyncIterable, type YogaServerInstance } from 'graphql-yoga';
import type { WebSocket, WebSocketServer } from 'ws';
import type { SocketOperationContext } from '../operation-facts.js';

/** How often a silent connection is pinged (and a peer that does not answer is cut): as Yoga's SSE pings. */
export const WEBSOCKET_KEEP_ALIVE_MS = 12_000;

/** How long a peer has at least to answer the close of a draining server before its socket is cut. */
const CLOSE_ANSWER_MS = 1_000;

/** The graphql-ws protocol on the GraphQL endpoint's port and path (see createWebSocketTransport). */
export interface WebSocketTransport {
  /** Takes an HTTP upgrade: the GraphQL endpoint's becomes a graphql-ws connection; any other is answered 404. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void;
  /**
   * Shutting down: new upgrades are refused (503), and once the operations in flight have
   * ended (the subscriptions are completed by the gateway), or `withinMs` has passed, every
   * connection is closed with 1001 Going Away, which clients take as a cue to reconnect.
   */
  drain(withinMs: number): Promise<void>;
  /** Connections open now. */
  readonly connections: number;
  close(): Promise<void>;
}

export interface WebSocketTransportOptions {
  // biome-ignore lint/suspicious/noExplicitAny: any Yoga instance; only getEnveloped is used, whose context is built here.
  yoga: YogaServerInstance<any, any>;
  /** The GraphQL endpoint's path. Default `/graphql`. */
  path?: string;
  /** Checks the token a connection is opened with (`connectionParams.authorization`); rejects a bad one, which closes it with 4403. */
  verifyAuthorization: (authorization: string) => Promise<unknown>;
  /** What a client sees of an error raised outside execution (a context that could not be built, a stream that broke); logs what it masks. */
  maskError: (error: unknown, requestId: string) => GraphQLError;
  /** Largest message in bytes (the request body limit); a larger one closes the connection (1009). */
  maxPayloadBytes: number;
  keepAliveMs?: number;
  /**
   * The text an operation runs, from what the client sent (trusted documents: the document its
   * id names); throws a GraphQLError to refuse it. Default: its `query`.
   */
  sourceOf?: (payload: SubscribePayload) => string;
}

type Enveloped = ReturnType<WebSocketTransportOptions['yoga']['getEnveloped']>;

/** The WebSocket server and graphql-ws on it, made with the first connection. */
interface Listening {
  wss: WebSocketServer;
  server: { dispose(): void | Promise<void> };
}

/**
 * The `graphql-ws` protocol over WebSocket (graphql-ws with ws), beside Yoga on one node:http
 * server: the same port and path, an upgrade instead of a request. Each operation runs through
 * Yoga's envelop (getEnveloped), so the plugins' parse, validate, context, execute and
 * subscribe hooks apply to it as to one over HTTP (limits, trusted documents, rate limits,
 * subscription limits, metrics, logs, masking). It has no Request: its initial context carries
 * the connection's upgrade request and credentials instead (see SocketOperationContext). A
 * connection authenticates with `connectionParams.authorization` ("Bearer <token>"); a bad
 * token is refused at once. graphql-ws owns the framing and the keep-alive pings.
 */
export function createWebSocketTransport(options: WebSocketTransportOptions): WebSocketTransport {
  const path = options.path ?? '/graphql';
  const authorizations = new WeakMap<WebSocket, string | null>();
  const running = new WeakMap<object, Enveloped>();
  let inFlight = 0;
  let idle: (() => void) | null = null;
  let draining = false;
  const ended = () => {
    inFlight -= 1;
    if (inFlight === 0) idle?.();
  };

  const masked = (error: unknown, requestId: string) => (error instanceof GraphQLError ? error : options.maskError(error, requestId));

  // ws and graphql-ws are loaded with the first upgrade: a gateway that never serves a
  // WebSocket never holds them in memory (about 11 MB of RSS).
  let loading: Promise<Listening> | undefined;
  let listening: Listening | undefined;
  let closing: Promise<void> | undefined;
  const listen = () =>
    (loading ??= Promise.all([import('graphql-ws/use/ws'), import('ws')]).then(([{ useServer }, { WebSocketServer }]) => {
      const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayloadBytes });
      const server = useServer<Record<string, unknown> | undefined, Record<PropertyKey, never>>(
        {
          async onConnect(ctx) {
            const authorization = ctx.connectionParams?.authorization;
            if (authorization !== undefined && typeof authorization !== 'string') return false;
            if (authorization) {
              try {
                await options.verifyAuthorization(authorization);
              } catch {
                return false;
              }
            }
            authorizations.set(ctx.extra.socket, authorization || null);
            return true;
          },
          async onSubscribe(ctx, _id, payload: SubscribePayload) {
            const socketOperation = { requestId: randomUUID(), authorization: authorizations.get(ctx.extra.socket) ?? null, startedAt: performance.now() };
            const initial: SocketOperationContext & { params: SubscribePayload } = { req: ctx.extra.request, params: payload, socketOperation };
            const enveloped = options.yoga.getEnveloped(initial);
            try {
              const document = enveloped.parse(options.sourceOf ? options.sourceOf(payload) : payload.query);
              const errors = enveloped.validate(enveloped.schema, document);
              if (errors.length > 0) return [...errors];
              // graphql-ws ends an operation it cannot identify without onComplete: refused here, it is never counted in flight.
              if (!getOperationAST(document, payload.operationName ?? undefined)) return [new GraphQLError('Unable to identify operation')];
              const args: ExecutionArgs = {
                schema: enveloped.schema,
                document,
                operationName: payload.operationName ?? null,
                variableValues: payload.variables ?? null,
                contextValue: await enveloped.contextFactory(),
              };
              running.set(args, enveloped);
              inFlight += 1;
              return args;
            } catch (error) {
              return [masked(error, socketOperation.requestId)];
            }
          },
          execute: (args) => run(args, 'execute'),
          subscribe: (args) => run(args, 'subscribe'),
          // Every operation that onSubscribe let run ends here, however it ends (the client left, too).
          onComplete: () => ended(),
        },
        wss,
        options.keepAliveMs ?? WEBSOCKET_KEEP_ALIVE_MS,
      );
      listening = { wss, server };
      return listening;
    }));

  /** Runs an operation through envelop; what it throws, or what its stream throws, is a masked error result, never a closed socket. */
  const run = async (args: ExecutionArgs, how: 'execute' | 'subscribe') => {
    const enveloped = running.get(args)!;
    const { requestId } = (args.contextValue as SocketOperationContext).socketOperation;
    try {
      const result = (await enveloped[how](args)) as ExecutionResult | AsyncIterable<ExecutionResult>;
      return isAsyncIterable(result) ? maskedStream(result, (error) => masked(error, requestId)) : result;
    } catch (error) {
      return { errors: [masked(error, requestId)] };
    }
  };

  return {
    handleUpgrade(request, socket, head) {
      // A target no URL can be made of (`//x:99999/graphql`): thrown here, in the server's
      // upgrade listener, it would end the process.
      let url: URL;
      try {
        url = new URL(request.url ?? '/', 'http://localhost');
      } catch {
        return refuse(socket, '400 Bad Request');
      }
      if (url.pathname !== path) return refuse(socket, '404 Not Found');
      if (draining) return refuse(socket, '503 Service Unavailable');
      listen().then(
        ({ wss }) => {
          // Draining may have begun while ws was loaded.
          if (draining) return refuse(socket, '503 Service Unavailable');
          wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
        },
        (error: unknown) => {
          options.maskError(error, randomUUID());
          refuse(socket, '500 Internal Server Error');
        },
      );
    },
    async drain(withinMs) {
      draining = true;
      if (!loading) return;
      const { wss } = await loading;
      const until = performance.now() + withinMs;
      if (inFlight > 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([new Promise<void>((resolve) => (idle = resolve)), new Promise<void>((resolve) => (timer = setTimeout(resolve, withinMs)))]);
        clearTimeout(timer);
      }
      for (const client of wss.clients) client.close(1001, 'Going away: the server is shutting down; reconnect');
      // A peer that does not answer the close would hold its socket for ws's 30 s: cut at the end of the grace.
      setTimeout(
        () => {
          for (const client of wss.clients) client.terminate();
        },
        Math.max(CLOSE_ANSWER_MS, until - performance.now()),
      ).unref();
    },
    get connections() {
      return listening?.wss.clients.size ?? 0;
    },
    close() {
      // Once: the WebSocket server refuses to be closed a second time.
      closing ??= (async () => {
        // A connection's loading under way ends first, so that what it made is disposed of too.
        const made = await loading?.catch(() => undefined);
        await made?.server.dispose();
      })();
      return closing;
    },
  };
}

/** Answers an upgrade that is not taken, and closes its socket. */
function refuse(socket: Duplex, status: string): void {
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

/**
 * A stream whose failure becomes one last result with the masked error, as Yoga does over HTTP.
 * Yoga's own masking already does so for what its executor streams; this is the net for what
 * throws past it (a plugin's wrapper of the stream).
 */
export function maskedStream(source: AsyncIterable<ExecutionResult>, mask: (error: unknown) => GraphQLError): AsyncIterableIterator<ExecutionResult> {
  const iterator = source[Symbol.asyncIterator]();
  let failed = false;
  const stream: AsyncIterableIterator<ExecutionResult> = {
    async next() {
      if (failed) return { done: true, value: undefined };
      try {
        return await iterator.next();
      } catch (error) {
        failed = true;
        return { done: false, value: { errors: [mask(error)] } };
      }
    },
    async return() {
      await iterator.return?.();
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]: () => stream,
  };
  return stream;
}
