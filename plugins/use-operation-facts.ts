import type { DocumentNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { belongsTo, noteDocument, noteRan } from '../operation-facts.js';

/**
 * Records what each operation is, once, for every plugin after it (see operation-facts.ts):
 * which request it came with (over HTTP), its type and name once it is parsed, and that it
 * ran once it is executed or subscribed. Over a WebSocket only the envelop hooks run (parse,
 * execute, subscribe), and they are enough. List it first.
 */
export function useOperationFacts(): Plugin {
  return {
    onParams({ request, context }) {
      belongsTo(request, context as object);
    },
    onParse() {
      return ({ result, context }) => {
        if (result instanceof Error || !result) return;
        const params = (context as { params?: { operationName?: string | null } }).params;
        noteDocument(context, result as DocumentNode, params?.operationName);
      };
    },
    onExecute({ args }) {
      noteRan(args.contextValue as object);
    },
    onSubscribe({ args }) {
      noteRan(args.contextValue as object);
    },
  };
}
