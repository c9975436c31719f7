import type { TracingSettings } from './settings.js';
import type { Tracing, TracingOptions } from './types.js';

/**
 * Starts OpenTelemetry as the settings say. Its modules are imported here, on demand: a
 * gateway with tracing off never loads any of them.
 */
export async function startTracing(settings: TracingSettings, options: TracingOptions): Promise<Tracing> {
  const { createTracing } = await import('./sdk.js');
  return createTracing(settings, options);
}
