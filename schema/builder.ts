import SchemaBuilder from '@pothos/core';
import ErrorsPlugin from '@pothos/plugin-errors';
import RelayPlugin from '@pothos/plugin-relay';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import ValidationPlugin from '@pothos/plugin-validation';
import type { Context } from '../context.js';
import { RequestError } from '../resolvers/errors.js';
import type { Connection } from '../resolvers/pagination.js';
import { VIEWER_SCOPE } from './viewer-scope.js';

/** Configuration only: plugins, context and scalars. Types live in their own files. */
export const builder = new SchemaBuilder<{
  Context: Context;
  DefaultFieldNullability: false;
  DefaultEdgesNullability: { list: false; items: false };
  DefaultNodeNullability: false;
  AuthScopes: { signedIn: boolean; admin: boolean };
  Scalars: { DateTime: { Input: Date; Output: Date } };
  Connection: { totalCount: Connection<unknown>['totalCount'] };
}>({
  // scope-auth first, so that no other plugin's wrapper runs before authorization.
  plugins: [ScopeAuthPlugin, ErrorsPlugin, RelayPlugin, ValidationPlugin],
  defaultFieldNullability: false,
  scopeAuth: {
    authScopes: (ctx) => ({ signedIn: ctx.viewer !== null, admin: ctx.viewer?.role === 'ADMIN' }),
    unauthorizedError: (_parent, ctx) =>
      ctx.viewer
        ? new RequestError('FORBIDDEN', 'You are not allowed to do this')
        : new RequestError('UNAUTHENTICATED', 'Sign in first: send "Authorization: Bearer <token>"'),
  },
  errors: { directResult: true },
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
    idFieldOptions: { description: 'Opaque global id; decode nothing from it.' },
    edgesFieldOptions: { nullable: { list: false, items: false } },
    nodeFieldOptions: { nullable: false },
    // A node may be the viewer's own draft or report.
    nodeQueryOptions: { nullable: true, extensions: VIEWER_SCOPE },
    nodesQueryOptions: { nullable: { list: false, items: true }, extensions: VIEWER_SCOPE },
  },
});

builder.queryType({});
builder.mutationType({});
