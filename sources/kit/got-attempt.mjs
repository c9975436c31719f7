// One upstream attempt with got, as both threads send it: the serving thread (http.ts) and the
// background thread (background-thread-worker.mjs). Plain JavaScript so that the background
// thread loads it from beside its own file, in the source tree and in dist/ alike
// (scripts/build.mjs copies it); its types are in got-attempt.d.mts.
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import got from 'got';

/** got for upstream attempts: retries, statuses and redirects are the source's to decide, attempt by attempt. */
export const attemptClient = got.extend({
  headers: { accept: 'application/json', 'user-agent': 'gatherql' },
  retry: { limit: 0 },
  throwHttpErrors: false,
  followRedirect: false,
});

/** Connections reused between calls (HTTP keep-alive), as many per host as calls may be in flight. */
export function keepAliveAgents(maxSockets) {
  const options = { keepAlive: true, maxSockets };
  return { http: new HttpAgent(options), https: new HttpsAgent(options) };
}

/** An answer cut off because its body went over the attempt's cap. */
export class BodyTooLarge extends Error {}

/** Sends one GET: its status, body and Retry-After, got's error, or BodyTooLarge. */
export async function sendAttempt(client, url, { headers, timeoutMs, maxBytes, signal, agent }) {
  let tooLarge = false;
  const options = { signal, timeout: { request: timeoutMs } };
  if (headers) options.headers = headers;
  if (agent) options.agent = agent;
  const pending = client.get(url, options);
  pending.on('downloadProgress', ({ transferred }) => {
    if (transferred > maxBytes && !tooLarge) {
      tooLarge = true;
      pending.cancel();
    }
  });
  try {
    const response = await pending;
    return { status: response.statusCode, body: response.body, retryAfter: response.headers['retry-after'] };
  } catch (error) {
    if (tooLarge) throw new BodyTooLarge(`the body went over ${maxBytes} bytes`, { cause: error });
    throw error;
  }
}
