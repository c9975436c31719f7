import type { ExecutionResult } from '../execute.js';
import type { CommandContext } from './command.js';

/**
 * Prints a result's GraphQL errors with their codes, one line each, and returns the exit
 * code: 0 without errors, 1 with. With data as well, the result is partial: the command
 * shows the data it got and these lines say what is missing.
 */
export function reportErrors(result: ExecutionResult<unknown>, context: CommandContext): number {
  for (const error of result.errors) {
    const code = error.extensions?.code ?? 'NO_CODE';
    const at = error.path ? ` (at ${error.path.join('.')})` : '';
    context.warn(`error ${code}: ${error.message}${at}`);
    if (code === 'RATE_LIMITED') {
      const retryAfter = result.headers.get('retry-after');
      if (retryAfter) context.warn(`  retry after ${retryAfter} s`);
    }
  }
  return result.errors.length === 0 ? 0 : 1;
}
