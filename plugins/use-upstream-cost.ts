import type { ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { UpstreamCost } from '../limits/upstream-budget.js';

/**
 * Says in each answer what it cost its client's upstream budget (UPSTREAM_BUDGET_PER_MINUTE),
 * as Shopify's `extensions.cost` does for its query cost: `extensions.cost.upstreamLookUps` (the
 * upstream look-ups this operation started, one per key), `refused` (those the budget did not
 * allow), and `budget` (limit, what remains, seconds until the window resets). Only answers
 * that spent or were refused something carry it: an answer from the caches costs nothing and
 * says nothing. Each operation of a batch has its own. An incremental answer (@defer) carries
 * it in no part.
 */
export function useUpstreamCost(): Plugin {
  return {
    onExecute() {
      return {
        onExecuteDone({ args, result, setResult }) {
          const cost = (args.contextValue as { upstreamCost?: UpstreamCost }).upstreamCost;
          if (!cost || (cost.lookUps === 0 && cost.refused === 0) || Symbol.asyncIterator in result) return;
          const plain = result as ExecutionResult;
          setResult({ ...plain, extensions: { ...plain.extensions, cost: { upstreamLookUps: cost.lookUps, refused: cost.refused, budget: cost.budget } } });
        },
      };
    },
  };
}
