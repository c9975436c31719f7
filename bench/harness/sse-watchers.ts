import { Agent, request } from 'node:http';

/** One event a watcher got: when it arrived (Date.now()) and its payload. */
export interface WatcherEvent {
  at: number;
  payload: { data?: unknown; errors?: unknown[] };
}

/** A subscription held open over SSE by node:http, one socket of its own, as a browser's EventSource would hold it. */
export interface SseWatcher {
  events: WatcherEvent[];
  close(): void;
}

// No pooling: each watcher is a connection of its own, as each browser tab would be.
const agent = new Agent({ keepAlive: false, maxSockets: Number.POSITIVE_INFINITY });

/**
 * Opens a subscription (POST, `Accept: text/event-stream`) and resolves once the response
 * headers arrived (the server has subscribed it). `keep` false counts nothing: an idle watcher
 * that only holds its connection, as cheap as the harness can make it.
 */
export function openSseWatcher(url: string, body: string, keep = true): Promise<SseWatcher> {
  return new Promise((resolve, reject) => {
    const events: WatcherEvent[] = [];
    const req = request(
      url,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', accept: 'text/event-stream', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          reject(new Error(`subscription refused: HTTP ${res.statusCode}`));
          return;
        }
        res.setEncoding('utf8');
        let buffer = '';
        res.on('data', (chunk: string) => {
          if (!keep) return;
          const at = Date.now();
          buffer += chunk;
          for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            if (!block.startsWith('event: next')) continue;
            const data = block.slice(block.indexOf('data:') + 5).trim();
            events.push({ at, payload: JSON.parse(data) });
          }
        });
        res.on('error', () => {});
        resolve({ events, close: () => req.destroy() });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Opens `count` watchers, `concurrency` at a time. */
export async function openSseWatchers(count: number, concurrency: number, open: (index: number) => Promise<SseWatcher>): Promise<SseWatcher[]> {
  const watchers: SseWatcher[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const index = next++;
        watchers[index] = await open(index);
      }
    }),
  );
  return watchers;
}
