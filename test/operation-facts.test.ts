import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { belongsTo, noteDocument, noteRan, operationOf, operationsOf } from '../operation-facts.js';

// Whether an object is still reachable is known only after a full collection, which tests
// cannot ask for otherwise.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

describe('operation facts', () => {
  it('name each operation of a request in order, the ones that ran and the ones refused first', () => {
    const request = new Request('http://localhost/graphql');
    const [first, second, refused] = [{}, {}, {}];
    for (const context of [first, second, refused]) belongsTo(request, context);
    belongsTo(request, first);
    noteDocument(first, parse('query Posts { posts(first: 1) { pageInfo { hasNextPage } } }'), null);
    noteRan(first);
    noteDocument(second, parse('mutation { logOut }'), null);
    noteRan(refused, { type: 'query', name: 'Kept' });
    expect(operationsOf(request)).toEqual([
      { type: 'query', name: 'Posts', ran: true },
      { type: 'mutation', name: null, ran: false },
      { type: 'query', name: 'Kept', ran: true },
    ]);
    expect(operationOf(second)).toEqual({ type: 'mutation', name: null, ran: false });
  });

  it('leave out an operation nothing was learnt of', () => {
    const request = new Request('http://localhost/graphql');
    belongsTo(request, {});
    expect(operationsOf(request)).toEqual([]);
  });

  // A Request can outlive its answer (until a full collection frees what holds it); if it held
  // its operations' contexts, every object of every operation would live as long, and an
  // executed request's garbage collection would cost twice as much.
  it('do not keep an operation context alive through its request', async () => {
    const request = new Request('http://localhost/graphql');
    const held = (() => {
      const context = { loaders: new Array(1000).fill({}) };
      belongsTo(request, context);
      noteDocument(context, parse('{ __typename }'), null);
      return new WeakRef(context);
    })();
    // A WeakRef's target stays alive until the end of the job that made it.
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    expect(held.deref()).toBeUndefined();
    expect(operationsOf(request)).toEqual([{ type: 'query', name: null, ran: false }]);
  });
});
