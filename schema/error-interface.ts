import { builder } from './builder.js';

/**
 * The interface every error-as-data type implements, so that a client can always select
 * `... on Error { message }` and handle new error types it does not know yet.
 */
export const ErrorInterface = builder.interfaceRef<{ message: string }>('Error').implement({
  fields: (t) => ({ message: t.exposeString('message') }),
});
