import { expect } from 'vitest';
import type { TestGateway } from './gateway.js';

/** Every field of a report, for tests that read reports through the API. */
export const REPORT_FIELDS = /* GraphQL */ `
  id state total done upstreamCalls resumesAt createdAt startedAt finishedAt failure
`;

export const START_REPORT = /* GraphQL */ `
  mutation Start($input: CityReportInput!) {
    startCityReport(input: $input) {
      __typename
      ... on CityReport { ${REPORT_FIELDS} }
      ... on ValidationError { message fields { path message } }
    }
  }
`;

export const CANCEL_REPORT = /* GraphQL */ `
  mutation Cancel($id: ID!) {
    cancelCityReport(id: $id) {
      __typename
      ... on CityReport { ${REPORT_FIELDS} }
      ... on Error { message }
    }
  }
`;

export const REPORT = /* GraphQL */ `
  query Report($id: ID!, $first: Int, $after: String) {
    cityReport(id: $id) {
      ${REPORT_FIELDS}
      rows(first: $first, after: $after) {
        edges {
          cursor
          node {
            position
            result {
              __typename
              ... on City {
                name
                location { name latitude longitude countryCode }
                weather { __typename ... on CityWeather { temperatureC conditions observedAt freshness { state fetchedAt } } ... on WeatherError { code } }
                airQuality { __typename ... on AirQuality { usAqi } ... on UpstreamError { code } }
              }
              ... on CityError { name code }
            }
          }
        }
        pageInfo { hasNextPage endCursor }
      }
    }
  }
`;

/** Starts a report and answers it, failing the test on anything but a CityReport. */
export async function startReport(gateway: TestGateway, headers: Record<string, string>, input: { names: string[]; parts?: string[] }) {
  const response = await gateway.query(START_REPORT, { input }, headers);
  expect(response.body.errors).toBeUndefined();
  expect(response.body.data.startCityReport.__typename).toBe('CityReport');
  return response.body.data.startCityReport as { id: string; state: string; total: number; done: number };
}

/** The report as its owner reads it, with a page of rows. */
export async function readReport(gateway: TestGateway, headers: Record<string, string>, id: string, page: { first?: number; after?: string } = {}) {
  const response = await gateway.query(REPORT, { id, ...page }, headers);
  expect(response.body.errors).toBeUndefined();
  return response.body.data.cityReport;
}

/**
 * Waits until the report is in one of `states` (reports run in the background) and answers
 * it, with `first` rows (none by default: reading a part a report did not gather looks it up).
 */
export async function reportInState(gateway: TestGateway, headers: Record<string, string>, id: string, states: string[], first = 0) {
  await expect
    .poll(async () => (await readReport(gateway, headers, id, { first: 0 }))?.state, { timeout: 30_000 })
    .toSatisfy((state: string) => states.includes(state));
  return readReport(gateway, headers, id, { first });
}
