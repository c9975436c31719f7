import { setTimeout as sleep } from 'node:timers/promises';
import { postOperation } from '../../test/helpers/graphql-post.js';

// What the report scenarios ask a gateway over HTTP: a user of their own, a report, its state.

const SIGN_UP = /* GraphQL */ `mutation SignUp($u: String!) { signUp(input: { username: $u, email: "bench@example.com", password: "a bench password" }) { ... on AuthPayload { token } } }`;
const START = /* GraphQL */ `mutation Start($input: CityReportInput!) { startCityReport(input: $input) { __typename ... on CityReport { id } ... on ValidationError { message } } }`;
const READ = /* GraphQL */ `query Read($id: ID!) { cityReport(id: $id) { state done total upstreamCalls } }`;

export interface ReportProgress {
  state: string;
  done: number;
  total: number;
  upstreamCalls: number;
}

let users = 0;

/** Signs a fresh user up and starts a report of `names`; answers the token and the report's id. */
export async function startBenchReport(url: string, names: string[], parts: string[]): Promise<{ token: string; id: string }> {
  const { signUp } = await postOperation(url, SIGN_UP, { u: `bench_${process.pid}_${users++}` });
  const token: string = signUp.token;
  const { startCityReport } = await postOperation(url, START, { input: { names, parts } }, token);
  if (startCityReport.__typename !== 'CityReport') throw new Error(`the report was refused: ${startCityReport.message}`);
  return { token, id: startCityReport.id };
}

export async function readBenchReport(url: string, token: string, id: string): Promise<ReportProgress> {
  return (await postOperation(url, READ, { id }, token)).cityReport;
}

/** Polls the report every `intervalMs` until it has finished (or `timeoutMs` passed); answers its last reading. */
export async function untilFinished(url: string, token: string, id: string, timeoutMs: number, intervalMs = 50): Promise<ReportProgress> {
  const until = performance.now() + timeoutMs;
  for (;;) {
    const report = await readBenchReport(url, token, id);
    if (['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(report.state) || performance.now() > until) return report;
    await sleep(intervalMs);
  }
}
