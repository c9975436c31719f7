// What a run measured, scenario by scenario: read by the report and by the goals it checks.
import type { Scenario, Values } from '../scenarios/types.js';

export interface ServerRow {
  server: string;
  values: Values;
  rssMiB: number;
  /** From spawning the process to its first ready answer; absent in figures measured before it was. */
  startupMs?: number;
  error?: string;
}

export interface ScenarioRun {
  scenario: Scenario;
  rows: ServerRow[];
}

/** One scenario measured on each Node of the run: every server on each, one after the other. */
export interface RuntimeRun {
  scenario: Scenario;
  rows: (ServerRow & { node: string })[];
}
