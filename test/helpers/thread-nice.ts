import { readdirSync, readFileSync } from 'node:fs';

/**
 * The nice value of each thread of this process that is still there, from /proc (Linux only):
 * how a test sees the background thread (see BackgroundThread) without a hook into it.
 */
export function threadNiceValues(): number[] {
  const values: number[] = [];
  for (const task of readdirSync('/proc/self/task')) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/self/task/${task}/stat`, 'utf8');
    } catch {
      continue; // the thread ended meanwhile
    }
    // The fields after the command's name, which may hold spaces and ends at the last ')': state is field 3, nice field 19.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    values.push(Number(fields[16]));
  }
  return values;
}

/** How many threads of this process run at `nice`. */
export const threadsAtNice = (nice: number): number => threadNiceValues().filter((value) => value === nice).length;
