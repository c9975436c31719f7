// The API keys the simulated REST Countries knows, in a file of their own so that a process
// that only passes a key on (the benchmark harness) need not load the simulated dataset.

/** The key `npm run dev:sim`, the tests and the benchmarks give the gateway. The simulator takes any key but the two below. */
export const SIM_API_KEY = 'rc_live_simulator';
/** REST Countries' public demo key: it answers a sample and a notice, never the dataset. */
export const DEMO_API_KEY = 'rc_live_demo';
/** A key the simulator refuses (HTTP 401), as REST Countries refuses a revoked one. */
export const REVOKED_API_KEY = 'rc_live_revoked';
