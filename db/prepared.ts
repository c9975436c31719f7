import { CompiledQuery, type Kysely, type KyselyPlugin, type QueryResult, type RawBuilder } from 'kysely';

/** SQL texts by dialect (the adapter every handle of one database shares) and shape. */
const texts = new WeakMap<object, Map<string, string>>();

/**
 * Runs a read at once, reporting it as Kysely's log would, or answers null when it must take
 * its turn through Kysely (SQLite in a transaction: the read must wait for its end).
 */
export type DirectRead = (query: CompiledQuery) => QueryResult<unknown> | null;

/** Direct reads by dialect (the adapter every handle of one database shares). */
const directReads = new WeakMap<object, DirectRead>();

/** Plugins that see a statement only as it is built, and leave its result as it is. */
const resultNeutral = new WeakSet<KyselyPlugin>();

/**
 * Lets runPrepared send reads of `db`'s database straight to `read`, past Kysely's connection
 * provider, mutex and result plugins: for better-sqlite3, whose statements run synchronously,
 * that path cost about as much as SQLite took to run the statement (docs/performance-notes.md).
 */
export function readDirectly<DB>(db: Kysely<DB>, read: DirectRead): void {
  directReads.set(db.getExecutor().adapter, read);
}

/** Marks `plugin` as one whose transformResult returns its result unchanged. */
export function leavesResults<P extends KyselyPlugin>(plugin: P): P {
  resultNeutral.add(plugin);
  return plugin;
}

/** Shapes kept per dialect at most: a statement of a shape past these is compiled each time. */
export const SHAPES_KEPT = 256;

/**
 * Runs a read whose SQL text depends only on `shape`, compiled once per dialect: `build`
 * makes it the first time a shape is run (only its text is kept), and every run binds
 * `parameters`, which must be given in the order of the statement's placeholders.
 *
 * For the reads every page of posts makes: building and compiling a statement each time took
 * about 4 µs of the 30 the statement took in all (docs/performance-notes.md). The handle's
 * plugins see the statement as they see any other, so it is counted and timed for its request
 * and tagged as background work, but they cannot change it.
 */
export async function runPrepared<R, DB>(db: Kysely<DB>, shape: string, build: () => RawBuilder<R>, parameters: unknown[]): Promise<QueryResult<R>> {
  const executor = db.getExecutor();
  let shapes = texts.get(executor.adapter);
  if (!shapes) {
    shapes = new Map();
    texts.set(executor.adapter, shapes);
  }
  let text = shapes.get(shape);
  if (text === undefined) {
    const compiled = build().compile(db);
    // Once per shape: parameters out of step with the statement fail its first run, loudly.
    if (compiled.parameters.length !== parameters.length || compiled.parameters.some((value, index) => value !== parameters[index])) {
      throw new Error(`runPrepared: the parameters given for "${shape}" are not those of its statement`);
    }
    text = compiled.sql;
    if (shapes.size < SHAPES_KEPT) shapes.set(shape, text);
  }
  const query = CompiledQuery.raw(text, parameters) as CompiledQuery<R>;
  executor.transformQuery(query.query, query.queryId);
  const direct = directReads.get(executor.adapter);
  if (direct && executor.plugins.every((plugin) => resultNeutral.has(plugin))) {
    const result = direct(query);
    if (result) return result as QueryResult<R>;
  }
  return executor.executeQuery(query);
}
