import type { Durations, Scenario } from '../scenarios/types.js';
import type { ServerProcess } from './processes.js';
import type { BenchEnvironment } from './environment.js';
import type { ServerRow } from './run-types.js';
import type { Runtime } from './runtimes.js';
import type { ServerSpec } from './server-spec.js';

/** One scenario on one freshly started server (on `runtime`, the harness's Node by default): its figures and peak RSS, or why it failed. */
export async function measureOnce(scenario: Scenario, spec: ServerSpec, env: BenchEnvironment, durations: Durations, runtime?: Runtime): Promise<ServerRow> {
  await env.sim.reset(scenario.faults);
  let server: ServerProcess;
  try {
    server = await spec.start(runtime ? { ...env, runtime } : env, scenario.serverEnv);
  } catch (error) {
    return { server: spec.name, values: {}, rssMiB: 0, error: `did not start: ${String(error).slice(0, 280)}` };
  }
  try {
    const values = await scenario.measure(server, { sim: env.sim, durations, freshCity: env.freshCity, upstreamMedianMs: env.upstream.medianMs });
    return { server: spec.name, values, rssMiB: server.peakRssMiB(), startupMs: server.startupMs };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { server: spec.name, values: {}, rssMiB: server.peakRssMiB(), startupMs: server.startupMs, error: message.slice(0, 300) };
  } finally {
    await server.stop();
  }
}
