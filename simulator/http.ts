import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

// The bits of HTTP every simulated upstream shares.

/** The content type all four real upstreams send. */
export const JSON_TYPE = { 'content-type': 'application/json; charset=utf-8' };

/** Sends `body` as JSON with this status and any extra headers. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...JSON_TYPE, ...headers });
  res.end(JSON.stringify(body));
}

/** The request body as JSON; undefined when it is not JSON or is larger than a control call needs. */
export async function readJson(req: IncomingMessage): Promise<unknown> {
  let text = '';
  for await (const chunk of req) {
    text += chunk;
    if (text.length > 65_536) return undefined;
  }
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Sends the head at once, then `text` a few bytes at a time until done, the client leaves, or `signal` aborts. */
export async function drip(
  res: ServerResponse,
  status: number,
  headers: Record<string, string>,
  text: string,
  intervalMs: number,
  chunkBytes: number,
  signal: AbortSignal,
): Promise<void> {
  res.writeHead(status, { ...JSON_TYPE, ...headers });
  for (let at = 0; at < text.length; at += chunkBytes) {
    if (res.destroyed) return;
    res.write(text.slice(at, at + chunkBytes));
    try {
      await sleep(intervalMs, undefined, { signal });
    } catch {
      return;
    }
  }
  res.end();
}
