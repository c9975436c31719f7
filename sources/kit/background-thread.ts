import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { AttemptFailure, type AttemptFailureKind } from './upstream-error.js';

/** What an attempt got back: the answer's status, its body as text and its Retry-After. */
export interface SentAnswer {
  status: number;
  body: string;
  retryAfter: string | undefined;
}

/** One attempt to send: everything the client needs, as it can cross to another thread. */
export interface AttemptToSend {
  url: URL;
  headers: Record<string, string> | undefined;
  timeoutMs: number;
  /** A body longer than this ends the attempt (AttemptFailure 'too-large'). */
  maxBytes: number;
  /** Connections to the attempt's host at most (the source's concurrencyPerHost). */
  maxSockets: number;
  signal: AbortSignal;
}

/**
 * Sends background work's upstream attempts from a thread of its own, at a lower priority
 * than the thread that serves requests. An attempt's cost is mostly the HTTP client's (its
 * options, the request, the socket, and the garbage all of that leaves): on the serving thread
 * it delayed the requests that arrived meanwhile, directly and through the collections of the
 * young generation it caused (docs/performance-notes.md, "Background work beside requests").
 * Here it crosses as a message and comes back as a status and a body.
 *
 * The thread costs about 27 MB while it lives, so it lives only while there is work: it starts
 * with the first attempt and ends after `idleMs` with none. If it dies, the attempts it had
 * fail (the kit retries them like any failed attempt) and the next attempt starts another.
 */
export interface BackgroundThread {
  send(attempt: AttemptToSend): Promise<SentAnswer>;
  /** Ends the thread for good: attempts under way fail, and later ones are refused. */
  close(): Promise<void>;
}

/** The nice value of the sending thread (Linux: per thread; the serving thread keeps its own). */
export const BACKGROUND_NICE = 10;
/** How long the thread stays without an attempt before it ends. */
export const BACKGROUND_THREAD_IDLE_MS = 60_000;

const WORKER_FILE = new URL('./background-thread-worker.mjs', import.meta.url);
/** What the thread's code imports from beside it. */
const WORKER_IMPORTS = [new URL('./got-attempt.mjs', import.meta.url)];

type Reply =
  | { id: number; status: number; body: string; retryAfter: string | undefined }
  | { id: number; failure: { kind: AttemptFailureKind; code: string | undefined; message: string } };

interface Waiter {
  resolve: (answer: SentAnswer) => void;
  reject: (error: Error) => void;
}

const aborted = () => new AttemptFailure('failed', 'ERR_ABORTED', 'the attempt was aborted');

export function createBackgroundThread({ nice = BACKGROUND_NICE, idleMs = BACKGROUND_THREAD_IDLE_MS } = {}): BackgroundThread {
  // The file is read only when a report runs: a build without it must fail at start instead.
  for (const file of [WORKER_FILE, ...WORKER_IMPORTS]) {
    if (!existsSync(file)) throw new Error(`the background thread's code is missing: ${fileURLToPath(file)} (see scripts/build.mjs)`);
  }
  let worker: Worker | null = null;
  let closed = false;
  let nextId = 0;
  let idleTimer: NodeJS.Timeout | undefined;
  const waiting = new Map<number, Waiter>();

  const failAll = (message: string) => {
    for (const { reject } of waiting.values()) reject(new AttemptFailure('failed', undefined, message));
    waiting.clear();
  };

  /** Keeps the process alive only while an attempt waits for its answer; ends the thread when it has been idle for idleMs. */
  const settled = (thread: Worker) => {
    if (waiting.size > 0) return;
    thread.unref();
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => {
      // (A new attempt clears this timer: see started.)
      if (worker === thread) {
        worker = null;
        void thread.terminate();
      }
    }, idleMs);
    idleTimer.unref();
  };

  const started = (): Worker => {
    clearTimeout(idleTimer);
    if (worker) return worker;
    const thread = new Worker(WORKER_FILE, { workerData: { nice } });
    thread.on('message', (reply: Reply) => {
      const waiter = waiting.get(reply.id);
      if (!waiter) return; // aborted meanwhile: nobody waits for it
      waiting.delete(reply.id);
      if ('failure' in reply) waiter.reject(new AttemptFailure(reply.failure.kind, reply.failure.code, reply.failure.message));
      else waiter.resolve({ status: reply.status, body: reply.body, retryAfter: reply.retryAfter });
      settled(thread);
    });
    const ended = (why: string) => {
      if (worker !== thread) return;
      worker = null;
      failAll(why);
    };
    thread.on('error', (error) => ended(`the background thread failed: ${error.message}`));
    thread.on('exit', (code) => ended(`the background thread exited (code ${code})`));
    worker = thread;
    return thread;
  };

  return {
    send({ url, headers, timeoutMs, maxBytes, maxSockets, signal }) {
      if (closed) return Promise.reject(new AttemptFailure('failed', undefined, 'the gateway is closing'));
      if (signal.aborted) return Promise.reject(aborted());
      const thread = started();
      thread.ref();
      const id = nextId++;
      return new Promise<SentAnswer>((resolve, reject) => {
        const onAbort = () => {
          if (!waiting.delete(id)) return;
          thread.postMessage({ type: 'abort', id });
          reject(aborted());
          settled(thread);
        };
        signal.addEventListener('abort', onAbort, { once: true });
        waiting.set(id, {
          resolve: (answer) => {
            signal.removeEventListener('abort', onAbort);
            resolve(answer);
          },
          reject: (error) => {
            signal.removeEventListener('abort', onAbort);
            reject(error);
          },
        });
        thread.postMessage({ type: 'send', id, url: url.href, headers, timeoutMs, maxBytes, maxSockets });
      });
    },
    async close() {
      closed = true;
      clearTimeout(idleTimer);
      const thread = worker;
      worker = null;
      failAll('the gateway is closing');
      if (thread) await thread.terminate();
    },
  };
}
