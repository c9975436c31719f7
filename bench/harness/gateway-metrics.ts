import type { ServerProcess } from './processes.js';

/**
 * The sum of a counter over all its label sets that carry `labels` from a server's /metrics (0
 * while it has none: a labelled counter appears with its first count), or null when the server
 * has no /metrics (the peers).
 */
export async function counterTotal(server: ServerProcess, name: string, labels: Record<string, string> = {}): Promise<number | null> {
  const response = await fetch(server.url.replace(/\/graphql$/, '/metrics')).catch(() => null);
  if (!response?.ok) return null;
  const text = await response.text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([label, wanted]) => line.includes(`${label}="${wanted}"`))) continue;
    total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}
