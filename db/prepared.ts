import { CompiledQuery, type Kysely, type QueryResult, type RawBuilder } from 'kysely';

/** SQL texts by dialect (the adapter every handle of one database shares) and shape. */
const texts = new WeakMap<object, Map<string, string>>();

/** Shapes kept per dialect at most: a statement of a shape past these is compiled each time. */
export const SHAPES_KEPT = 256;

/**
 * Runs a statement whose SQL text depends only on `shape`, compiled once per dialect: `build`
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
  return executor.executeQuery(query);
}
