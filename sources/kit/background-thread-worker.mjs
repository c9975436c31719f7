// The thread that sends background work's upstream attempts (see background-thread.ts). It is
// plain JavaScript so that Node loads it as it is, beside the TypeScript source and beside the
// bundle alike (scripts/build.mjs copies it into dist/).
//
// It does only what got does for an attempt: the connection, the request, the body as text, the
// timeout, the abort and the size cap. What the answer means (statuses, retries, the circuit, the
// quota) stays with the kit on the main thread.
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { getPriority, setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import got, { RequestError, TimeoutError } from 'got';

// On Linux a thread has a nice value of its own: this one yields the CPU to the thread that
// serves requests whenever both want it. It never takes a higher priority than that thread's
// (which it starts with): a gateway run under `nice -n 15` keeps its thread at 15. Elsewhere the
// value is the whole process's, so it is left alone there; where it is refused, the thread runs
// at the priority it has.
if (process.platform === 'linux') {
  try {
    setPriority(Math.max(workerData.nice, getPriority()));
  } catch {}
}

const client = got.extend({
  headers: { accept: 'application/json', 'user-agent': 'gatherql' },
  retry: { limit: 0 },
  throwHttpErrors: false,
  followRedirect: false,
});

/** Keep-alive agents, one per origin, as many sockets as the source lets be in flight. */
const agents = new Map();
function agentFor(url, maxSockets) {
  const key = `${url.origin} ${maxSockets}`;
  let agent = agents.get(key);
  if (!agent) {
    const options = { keepAlive: true, maxSockets };
    agent = url.protocol === 'https:' ? { https: new HttpsAgent(options) } : { http: new HttpAgent(options) };
    agents.set(key, agent);
  }
  return agent;
}

/** The attempts under way, by id: the main thread aborts one by its id. */
const underWay = new Map();

parentPort.on('message', (message) => {
  if (message.type === 'abort') underWay.get(message.id)?.abort();
  else void send(message);
});

async function send({ id, url: href, headers, timeoutMs, maxBytes, maxSockets }) {
  const controller = new AbortController();
  underWay.set(id, controller);
  let tooLarge = false;
  try {
    const url = new URL(href);
    const pending = client.get(url, { signal: controller.signal, timeout: { request: timeoutMs }, headers, agent: agentFor(url, maxSockets) });
    pending.on('downloadProgress', ({ transferred }) => {
      if (transferred > maxBytes && !tooLarge) {
        tooLarge = true;
        pending.cancel();
      }
    });
    const response = await pending;
    parentPort.postMessage({ id, status: response.statusCode, body: response.body, retryAfter: response.headers['retry-after'] });
  } catch (error) {
    const kind = tooLarge ? 'too-large' : error instanceof TimeoutError ? 'timeout' : 'failed';
    const code = error instanceof RequestError ? error.code : undefined;
    parentPort.postMessage({ id, failure: { kind, code, message: error instanceof Error ? error.message : String(error) } });
  } finally {
    underWay.delete(id);
  }
}
