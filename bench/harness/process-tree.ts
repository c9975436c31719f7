import { readdirSync, readFileSync } from 'node:fs';

// What a server costs is what all its processes cost: with WORKERS, a node:cluster primary and
// its workers; for PostgreSQL or nginx, a master and the processes it forks. Read from /proc.

/** USER_HZ, the unit of /proc's CPU times: 100 on every Linux that Node supports. */
export const CLOCK_TICKS = 100;

/** A process and all its descendants that are alive now (just the process when it has none, or none when it is gone). */
export function processTree(pid: number): number[] {
  const tree: number[] = [];
  const visit = (current: number) => {
    tree.push(current);
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${current}/task`);
    } catch {
      return;
    }
    // Any thread may have forked a child; each thread lists its own.
    for (const task of tasks) {
      let children = '';
      try {
        children = readFileSync(`/proc/${current}/task/${task}/children`, 'utf8');
      } catch {
        continue;
      }
      for (const child of children.split(' ').filter(Boolean)) visit(Number(child));
    }
  };
  if (isAlive(pid)) visit(pid);
  return tree;
}

function isAlive(pid: number): boolean {
  try {
    readFileSync(`/proc/${pid}/stat`);
    return true;
  } catch {
    return false;
  }
}

/**
 * CPU seconds (user + system) of a process and its descendants so far. Each process adds
 * utime + stime and cutime + cstime (fields 14-17 of /proc/<pid>/stat): the latter hold the
 * children it has reaped, so a worker that exits during a round keeps counting in its parent
 * and the total never goes back. NaN when the process is gone.
 */
export function treeCpuSeconds(pid: number): number {
  const tree = processTree(pid);
  if (tree.length === 0) return Number.NaN;
  let ticks = 0;
  for (const member of tree) {
    try {
      const stat = readFileSync(`/proc/${member}/stat`, 'utf8');
      // Fields after the parenthesised name start at field 3: utime (14) to cstime (17) are at 11-14.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
    } catch {
      // Gone between the listing and the read: its parent's cutime has it once reaped.
    }
  }
  return ticks / CLOCK_TICKS;
}

/** Peak resident set size (VmHWM) of one process so far, in MiB; 0 when it is gone. */
function peakRssMiBOf(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

/**
 * The peak resident set sizes (VmHWM) of a process and its live descendants, added up, in MiB
 * to one decimal. An upper bound of their peak together: pages they share (Node's own code)
 * count in each, and their peaks need not have come at the same moment.
 */
export function treePeakRssMiB(pid: number): number {
  const total = processTree(pid).reduce((sum, member) => sum + peakRssMiBOf(member), 0);
  return Math.round(total * 10) / 10;
}
