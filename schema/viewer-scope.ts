import { BREAK, type DocumentNode, type GraphQLField, type GraphQLSchema, TypeInfo, visit, visitWithTypeInfo } from 'graphql';

/**
 * The field extension that marks a field whose value depends on who asks (`viewer`, an
 * author's posts with the viewer's drafts, `email`), as the response-cache plugins' PRIVATE
 * scope does: an answer that selects one is never kept for another request. A field with
 * auth scopes is the viewer's by them, and needs no mark.
 */
export const VIEWER_SCOPE = { cacheScope: 'PRIVATE' } as const;

function readsViewer(field: GraphQLField<unknown, unknown>): boolean {
  const extensions = field.extensions as { cacheScope?: string; pothosOptions?: { authScopes?: unknown } };
  return extensions.cacheScope === VIEWER_SCOPE.cacheScope || extensions.pothosOptions?.authScopes !== undefined;
}

/**
 * True when `document` selects any field whose value depends on who asks, anywhere (every
 * operation and fragment counts, used or not): then its answer is the viewer's alone. An
 * answer that selects none is the same for everyone, signed in or not.
 */
export function selectsViewerFields(schema: GraphQLSchema, document: DocumentNode): boolean {
  const typeInfo = new TypeInfo(schema);
  let found = false;
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field() {
        const field = typeInfo.getFieldDef();
        if (!field || !readsViewer(field)) return undefined;
        found = true;
        return BREAK;
      },
    }),
  );
  return found;
}
