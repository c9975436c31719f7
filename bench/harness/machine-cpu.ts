import { readFileSync } from 'node:fs';
import { CLOCK_TICKS } from './process-tree.js';

/**
 * CPU seconds that the whole machine has spent busy so far, all cores together: user, nice,
 * system, irq and softirq of /proc/stat's first line (idle, iowait and the hypervisor's steal
 * left out). Less a round's own processes, it says how much else ran during the round.
 */
export function machineBusySeconds(): number {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0] = fields;
  return (user + nice + system + irq + softirq) / CLOCK_TICKS;
}
