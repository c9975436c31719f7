import type { FaultRule } from '../../simulator/faults.js';

/**
 * The faulty upstream of the soak, one city per kind of failure, plus a slow tail on every
 * call. Healthy cities are cached by the gateway, so after the first seconds most calls
 * that still reach the simulator are these: its circuit breakers get real work.
 */
export const SOAK_FAULTS: FaultRule[] = [
  { endpoint: 'forecast', city: 'Tokyo', fault: { kind: 'status', status: 503 } },
  { endpoint: 'geocoding', city: 'Lima', fault: { kind: 'hang' } },
  { endpoint: 'geocoding', city: 'Cairo', fault: { kind: 'malformed-json' } },
  { endpoint: 'geocoding', city: 'Nairobi', fault: { kind: 'status', status: 429, retryAfterS: 1 } },
  { endpoint: 'forecast', city: 'Seoul', fault: { kind: 'slow-drip', chunkIntervalMs: 400 } },
  { probability: 0.01, fault: { kind: 'latency', ms: 500 } },
];

/** The same rules in words, for the report. */
export const SOAK_FAULT_WORDS = [
  'Tokyo forecast: always 503',
  'Lima geocoding: hangs',
  'Cairo geocoding: cut-off JSON',
  'Nairobi geocoding: 429 with Retry-After: 1',
  'Seoul forecast: body drips slower than the timeout',
  '1% of all calls: 500 ms late',
];
