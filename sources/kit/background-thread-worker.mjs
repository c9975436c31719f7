// The thread that sends background work's upstream attempts (see background-thread.ts). It is
// plain JavaScript so that Node loads it as it is, beside the TypeScript source and beside the
// bundle alike (scripts/build.mjs copies it into dist/).
//
// It does only what got does for an attempt: the connection, the request, the body as text, the
// timeout, the abort and the size cap. What the answer means (statuses, retries, the circuit, the
// quota) stays with the kit on the main thread.
import { getPriority, setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { RequestError, TimeoutError } from 'got';
import { attemptClient, BodyTooLarge, keepAliveAgents, sendAttempt } from './got-attempt.mjs';

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

/** Keep-alive agents, one pair per origin, as many sockets as the source lets be in flight. */
const agents = new Map();
function agentFor(url, maxSockets) {
  const key = `${url.origin} ${maxSockets}`;
  let agent = agents.get(key);
  if (!agent) {
    agent = keepAliveAgents(maxSockets);
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
  try {
    const url = new URL(href);
    const answer = await sendAttempt(attemptClient, url, { headers, timeoutMs, maxBytes, signal: controller.signal, agent: agentFor(url, maxSockets) });
    parentPort.postMessage({ id, ...answer });
  } catch (error) {
    const kind = error instanceof BodyTooLarge ? 'too-large' : error instanceof TimeoutError ? 'timeout' : 'failed';
    const code = error instanceof RequestError ? error.code : undefined;
    parentPort.postMessage({ id, failure: { kind, code, message: error instanceof Error ? error.message : String(error) } });
  } finally {
    underWay.delete(id);
  }
}
