import { type Plugin, useReadinessCheck } from 'graphql-yoga';
import type { Logger } from 'pino';

/** One dependency's probe: resolves when the dependency answers, rejects (or hangs) when it does not. */
export type ReadinessCheck = () => Promise<unknown>;

export interface ReadinessOptions {
  /** Named probes, all run at once, e.g. `{ database: () => sql\`select 1\`.execute(db) }`. */
  checks: Record<string, ReadinessCheck>;
  /** A probe that has not answered within this counts as failed. Default 2000 ms. */
  timeoutMs?: number;
  /** Default `/ready`. */
  endpoint?: string;
  /** Failed probes are logged here at warn, with the reason the response body leaves out. */
  logger?: Logger;
  /** True once the process is shutting down: it then says 503 `draining`, so that a load balancer sends nothing new. */
  draining?: () => boolean;
}

class TimedOut extends Error {}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimedOut(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * `GET /ready`: 200 when every dependency answers its probe in time, else 503; the JSON body
 * names each check with `ok`, `unreachable` or `timed out`, or says `draining` once the
 * process is shutting down. The reason stays in the log: the endpoint is public, and error
 * messages can name internal hosts. Yoga's useReadinessCheck serves the endpoint; this
 * plugin says what ready means.
 */
export function useReadiness(options: ReadinessOptions): Plugin {
  const timeoutMs = options.timeoutMs ?? 2000;
  const respond = (fetchAPI: { Response: typeof Response }, status: 200 | 503, body: unknown) =>
    new fetchAPI.Response(JSON.stringify(body), {
      status,
      headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
    });
  const check = async ({ fetchAPI }: { fetchAPI: { Response: typeof Response } }) => {
    if (options.draining?.()) return respond(fetchAPI, 503, { status: 'draining', checks: {} });
    const names = Object.keys(options.checks);
    const outcomes = await Promise.all(
      names.map((name) =>
        withTimeout(Promise.resolve().then(options.checks[name]!), timeoutMs).then(
          () => 'ok',
          (error: unknown) => {
            options.logger?.warn({ check: name, error: error instanceof Error ? error.message : String(error) }, 'readiness check failed');
            return error instanceof TimedOut ? 'timed out' : 'unreachable';
          },
        ),
      ),
    );
    const checks = Object.fromEntries(names.map((name, i) => [name, outcomes[i]!]));
    const ready = outcomes.every((outcome) => outcome === 'ok');
    return respond(fetchAPI, ready ? 200 : 503, { status: ready ? 'ready' : 'unavailable', checks });
  };
  return useReadinessCheck({ endpoint: options.endpoint ?? '/ready', check });
}
