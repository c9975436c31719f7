import type { Logger } from 'pino';
import type { DialectName } from '../db/connect.js';
import type { TracingSettings } from './settings.js';
import type { Tracing } from './types.js';

export interface TracingOptions {
  /** Where export failures are told (at most once a minute). */
  logger: Logger;
  /** The database the statements go to, for their spans. */
  dialect: DialectName;
}

/**
 * Starts OpenTelemetry as the settings say. Its modules are imported here, on demand: a
 * gateway with tracing off never loads any of them.
 */
export async function startTracing(settings: TracingSettings, options: TracingOptions): Promise<Tracing> {
  const { createTracing } = await import('./sdk.js');
  return createTracing(settings, options);
}
