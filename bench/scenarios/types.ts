import type { ServerProcess } from '../harness/processes.js';
import type { SimulatorClient } from '../harness/simulator-client.js';
import type { FaultRule } from '../../simulator/faults.js';

/** How long and how much, full run or `--quick`. */
export interface Durations {
  /** Seconds of warm-up load before a measured throughput round. */
  warmS: number;
  /** Seconds of a measured throughput round. */
  measureS: number;
  /** Sequential requests of the cold fan-out and of the cold cities. */
  coldRequests: number;
  /** Requests of the tail scenario, and of its warm-up. */
  tailRequests: number;
  tailWarmUp: number;
  /** Bursts on other cities before the measured burst. */
  burstWarmUps: number;
  /** Seconds of the freshness scenario's measured round (it must outlast the TTL it sets). */
  freshnessS: number;
}

export interface ScenarioContext {
  sim: SimulatorClient;
  durations: Durations;
  /** A city name no server has seen in this run (`Sim <n>`). */
  freshCity(): string;
  /** Median latency of one upstream call at the default latency, measured by the harness. */
  upstreamMedianMs: number;
}

export interface Column {
  key: string;
  label: string;
  digits?: number;
}

/** One server's figures in one scenario, by column key; null when not applicable. */
export type Values = Record<string, number | null>;

export interface Scenario {
  id: string;
  title: string;
  /** What is measured and how, for the report. */
  method(durations: Durations): string;
  /** Upstream behaviour while it runs. */
  faults: FaultRule[];
  /** Environment every server of this scenario starts with, on top of its own (e.g. a short TTL). */
  serverEnv?: Record<string, string>;
  columns: Column[];
  /** The column the ratio columns compare, and which way is better. */
  ratioKey: string;
  higherIsBetter: boolean;
  /** The gatherql rows the ratio columns divide by; every gatherql row when absent. */
  ratioServers?: string[];
  /** Measured in full runs, left out of `--quick` unless `--only` names it. */
  fullRunOnly?: boolean;
  measure(server: ServerProcess, ctx: ScenarioContext): Promise<Values>;
}

/** Upstream latency of every scenario that calls one: a nearby cloud API. */
export const UPSTREAM_MS = 50;
export const LATENCY: FaultRule[] = [{ fault: { kind: 'latency', ms: UPSTREAM_MS } }];
