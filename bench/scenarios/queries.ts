// The operations every server answers: one text each, valid on gatherql's schema and on the
// peers' (bench/peers/schema.graphql), so that all of them do the same work.

export const WEATHER_QUERY = /* GraphQL */ `
  query Weather($cities: [String!]!) {
    weather(cities: $cities) {
      __typename
      ... on CityWeather {
        city temperatureC apparentTemperatureC relativeHumidity windSpeedKmh weatherCode conditions observedAt stale
        location { name country latitude longitude timezone }
      }
      ... on WeatherError { city code message }
    }
  }
`;

export const POSTS_QUERY = /* GraphQL */ `
  query Posts {
    posts(first: 10) {
      edges { cursor node { id title createdAt author { id username displayName } } }
      pageInfo { hasNextPage endCursor }
    }
  }
`;

export const WARM_CITIES = ['Berlin', 'Paris', 'London', 'Madrid', 'Rome'];

export function weatherBody(cities: string[]): string {
  return JSON.stringify({ query: WEATHER_QUERY, variables: { cities }, operationName: 'Weather' });
}

export const POSTS_BODY = JSON.stringify({ query: POSTS_QUERY, operationName: 'Posts' });

interface WeatherItem {
  __typename: string;
  code?: string;
}

/** Sends one request and checks its answer, so that a server that answers wrongly never gets a figure. */
export async function expectAnswer(url: string, body: string, check: (data: any) => string | null): Promise<void> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const text = await response.text();
  let json: { data?: unknown; errors?: unknown };
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${url}: not JSON (HTTP ${response.status}): ${text.slice(0, 300)}`);
  }
  const problem = json.errors ? `errors: ${JSON.stringify(json.errors).slice(0, 300)}` : check(json.data);
  if (problem) throw new Error(`${url} answered wrongly: ${problem}`);
}

/** A weather answer with every city found. */
export function allWeather(count: number) {
  return (data: { weather?: WeatherItem[] }) => {
    const items = data?.weather ?? [];
    const ok = items.filter((item) => item.__typename === 'CityWeather').length;
    return ok === count ? null : `expected ${count} cities with weather, got ${ok}: ${JSON.stringify(items.slice(0, 3))}`;
  };
}

export function tenPostsWithAuthors(data: { posts?: { edges: { node: { author?: { username?: string } } }[] } }): string | null {
  const edges = data?.posts?.edges ?? [];
  if (edges.length !== 10) return `expected 10 posts, got ${edges.length}`;
  return edges.every((edge) => typeof edge.node.author?.username === 'string') ? null : 'a post without its author';
}
