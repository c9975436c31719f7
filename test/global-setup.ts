import type { TestProject } from 'vitest/node';
import { findPostgresBin, startPostgres } from './services/postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Superuser URL of a throwaway PostgreSQL server, or null when its binaries are absent. */
    postgresUrl: string | null;
  }
}

/**
 * Starts the real services the suites need, once per run. Without PostgreSQL binaries the
 * PostgreSQL suites skip and say so; under CI a missing server is an error instead.
 */
export default async function setup(project: TestProject) {
  const stops: (() => void)[] = [];
  const bin = findPostgresBin();
  if (bin) {
    const postgres = await startPostgres(bin);
    stops.push(() => postgres.stop());
    project.provide('postgresUrl', postgres.url);
  } else if (process.env.CI) {
    throw new Error('CI=true but no PostgreSQL server binaries under /usr/lib/postgresql: install the postgresql package');
  } else {
    console.warn('\n[gatherql] PostgreSQL server binaries not found: the PostgreSQL suites are SKIPPED (apt-get install postgresql)\n');
    project.provide('postgresUrl', null);
  }
  return () => {
    for (const stop of stops.reverse()) stop();
  };
}
