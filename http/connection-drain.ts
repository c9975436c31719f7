import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';

/** How often, once the server no longer listens, connections kept alive after an answer are looked for and closed. */
const SWEEP_MS = 100;

/**
 * A new connection that has sent nothing for this long once the server no longer listens is
 * closed: it is no request on its way (a load balancer writes its request as soon as it has
 * connected), rather a browser's spare connection, which would hold the drain up to its grace.
 */
export const SILENT_MS = 1_000;

export interface ConnectionDrain {
  /**
   * Stops the server without racing its clients (see createConnectionDrain); resolves once
   * every connection has ended.
   */
  drain(options: DrainOptions): Promise<void>;
}

export interface DrainOptions {
  /**
   * How long to wait at most for the connections kept alive after an answer to be used once
   * more or closed by their clients, before the server stops listening: the server's
   * `keepAliveTimeout` for a load balancer's sake, 0 when nobody balances (Ctrl-C).
   */
  keptAliveMs: number;
  /** Once the server no longer listens, a new connection that has sent nothing for this long is closed. Default SILENT_MS. */
  silentMs?: number;
  /** Told when the server stops taking new connections. */
  stoppedListening?: () => void;
}

/**
 * Connection bookkeeping for a drain that a load balancer never sees fail. A connection kept
 * alive after an answer is one the balancer may send its next request on at any moment:
 * closing it from this side races that request (nginx logs `upstream prematurely closed
 * connection` or `Connection reset by peer`, counts a failure against the instance, and has
 * to send the request again, a POST only under `non_idempotent`). Node's `server.close()`
 * closes every such connection at once, so `drain()` instead:
 * 1. makes every answer from then on say `Connection: close`, also those of requests in
 *    flight that have not sent their headers yet, and keeps taking new connections (each gets
 *    its one answer and is closed after it);
 * 2. once no connection waits for a next request after an answer (the balancer has used each
 *    one once more, or closed it after its idle timeout, which must be below the server's
 *    `keepAliveTimeout`), or `keptAliveMs` later at most, stops listening: the balancer's
 *    next connection is refused, and it sends that request elsewhere, nothing sent here;
 * 3. lets the connections it still has end: requests in flight get their answers; a
 *    connection still kept alive after an answer (a browser's, or one whose answer had sent
 *    its headers before the drain) is closed, and so is a new one that sends nothing.
 * Call it before the server's request listener is added: it must see every request first.
 */
export function createConnectionDrain(server: Server): ConnectionDrain {
  /** Connections kept alive after an answer, waiting for the client's next request. */
  const kept = new Set<Socket>();
  /** Connections that have not yet had a request. */
  const fresh = new Set<Socket>();
  const answering = new Set<ServerResponse>();
  /** Answers under way on each connection (more than one only when a client pipelines). */
  const underWay = new Map<Socket, number>();
  let draining = false;
  let listening = true;

  server.on('connection', (socket: Socket) => {
    fresh.add(socket);
    socket.once('close', () => {
      fresh.delete(socket);
      kept.delete(socket);
    });
  });
  // An upgraded connection (a WebSocket) is the graphql-ws server's to close once its
  // subscriptions are completed, not a silent new connection.
  server.on('upgrade', (request: IncomingMessage) => fresh.delete(request.socket));

  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const socket = request.socket;
    fresh.delete(socket);
    kept.delete(socket);
    answering.add(response);
    underWay.set(socket, (underWay.get(socket) ?? 0) + 1);
    if (draining) response.shouldKeepAlive = false;
    // 'close' comes after Node has decided the connection's fate: ended (Connection: close,
    // or the client went away) or kept for the next request.
    response.once('close', () => {
      answering.delete(response);
      const left = underWay.get(socket)! - 1;
      if (left > 0) underWay.set(socket, left);
      else underWay.delete(socket);
      if (left > 0 || socket.destroyed || socket.writableEnded) return;
      if (listening) kept.add(socket);
      else socket.end();
    });
  });

  const drain = async ({ keptAliveMs, silentMs = SILENT_MS, stoppedListening }: DrainOptions) => {
    draining = true;
    for (const response of answering) if (!response.headersSent) response.shouldKeepAlive = false;
    const deadline = Date.now() + keptAliveMs;
    while (kept.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, SWEEP_MS));
    // net.Server's close, not http.Server's: that one also destroys at once every connection
    // between two requests, among them one whose last answer is written but not yet sent.
    const ended = new Promise<void>((resolve) => NetServer.prototype.close.call(server, () => resolve()));
    listening = false;
    stoppedListening?.();
    const closedAt = Date.now();
    const sweep = () => {
      for (const socket of kept) socket.end();
      if (Date.now() - closedAt < silentMs) return;
      for (const socket of fresh) if (socket.bytesRead === 0) socket.destroy();
    };
    sweep();
    const sweeping = setInterval(sweep, SWEEP_MS);
    await ended;
    clearInterval(sweeping);
  };

  return { drain };
}
