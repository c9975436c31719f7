import type { ServerProcess } from './processes.js';

/**
 * The sum of a counter over all its label sets from a server's /metrics (0 while it has none:
 * a labelled counter appears with its first count), or null when the server has no /metrics (the peers).
 */
export async function counterTotal(server: ServerProcess, name: string): Promise<number | null> {
  const response = await fetch(server.url.replace(/\/graphql$/, '/metrics')).catch(() => null);
  if (!response?.ok) return null;
  const text = await response.text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}
