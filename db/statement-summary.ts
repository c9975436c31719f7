import { AliasNode, type CompiledQuery, DeleteQueryNode, InsertQueryNode, type OperationNode, SelectQueryNode, TableNode, UpdateQueryNode } from 'kysely';

/**
 * What a statement does and to which table: read from the query Kysely built, or, for a
 * statement written as SQL, from the first table its text names after FROM, INTO or UPDATE.
 */
export interface StatementSummary {
  /** SELECT, INSERT, UPDATE, DELETE, or the first word of any other statement. */
  operation: string;
  /** The table it reads or writes first; null when it names none (DDL, a pragma). */
  table: string | null;
}

/** A short, low-cardinality name for a statement, such as `SELECT posts` (no values, no columns). */
export function summarise(query: CompiledQuery): StatementSummary {
  const node = query.query;
  if (SelectQueryNode.is(node)) return { operation: 'SELECT', table: tableOf(node.from?.froms[0]) };
  if (InsertQueryNode.is(node)) return { operation: 'INSERT', table: tableOf(node.into) };
  if (UpdateQueryNode.is(node)) return { operation: 'UPDATE', table: tableOf(node.table) };
  if (DeleteQueryNode.is(node)) return { operation: 'DELETE', table: tableOf(node.from.froms[0]) };
  return { operation: (/^\s*(\w+)/.exec(query.sql)?.[1] ?? 'SQL').toUpperCase(), table: TABLE_IN_TEXT.exec(query.sql)?.[1] ?? null };
}

/** The first table a statement's text names: `from posts`, `into "users"`, `update profiles`. */
const TABLE_IN_TEXT = /\b(?:from|into|update)\s+"?(\w+)"?/i;

function tableOf(node: OperationNode | undefined): string | null {
  if (!node) return null;
  if (TableNode.is(node)) return node.table.identifier.name;
  if (AliasNode.is(node)) return tableOf(node.node);
  return null;
}
