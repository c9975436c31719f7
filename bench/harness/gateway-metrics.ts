import type { ServerProcess } from './processes.js';

/**
 * The sum of a counter over all its label sets from a server's /metrics, or null when the
 * server has no such endpoint (the peers) or no such counter.
 */
export async function counterTotal(server: ServerProcess, name: string): Promise<number | null> {
  const response = await fetch(server.url.replace(/\/graphql$/, '/metrics')).catch(() => null);
  if (!response?.ok) return null;
  const text = await response.text();
  let total: number | null = null;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    total = (total ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}
