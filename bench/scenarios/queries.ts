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

/** Every part of each city, each union with its error member, as docs/upstreams.md shows `cities`. */
export const CITIES_QUERY = /* GraphQL */ `
  query Cities($names: [String!]!) {
    cities(names: $names) {
      __typename
      ... on City {
        name
        location { name countryCode }
        weather { __typename ... on CityWeather { temperatureC conditions observedAt } ... on WeatherError { code message } }
        airQuality { __typename ... on AirQuality { usAqi category } ... on UpstreamError { source code message } }
        country { __typename ... on Country { name capitals } ... on UpstreamError { source code message } }
      }
      ... on CityError { name code message }
    }
  }
`;

export const WARM_CITIES = ['Berlin', 'Paris', 'London', 'Madrid', 'Rome'];

export function weatherBody(cities: string[]): string {
  return JSON.stringify({ query: WEATHER_QUERY, variables: { cities }, operationName: 'Weather' });
}

export function citiesBody(names: string[]): string {
  return JSON.stringify({ query: CITIES_QUERY, variables: { names }, operationName: 'Cities' });
}

export const POSTS_BODY = JSON.stringify({ query: POSTS_QUERY, operationName: 'Posts' });

interface WeatherItem {
  __typename: string;
  code?: string;
}

/** Sends one request (a POST of `asked`, or a GET of its query string) and checks its answer, so that a server that answers wrongly never gets a figure. */
export async function expectAnswer(url: string, asked: string | { get: string }, check: (data: any) => string | null): Promise<void> {
  const response =
    typeof asked === 'string'
      ? await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: asked })
      : await fetch(`${url}?${asked.get}`);
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

interface CityItem {
  __typename: string;
  name?: string;
  location?: { countryCode?: string | null };
  weather?: { __typename: string };
  airQuality?: { __typename: string };
  country?: { __typename: string; name?: string };
}

/** A cities answer with every name placed and every part of each present. */
export function allCities(count: number) {
  return (data: { cities?: CityItem[] }) => {
    const items = data?.cities ?? [];
    const whole = items.filter(
      (item) =>
        item.__typename === 'City' &&
        typeof item.location?.countryCode === 'string' &&
        item.weather?.__typename === 'CityWeather' &&
        item.airQuality?.__typename === 'AirQuality' &&
        item.country?.__typename === 'Country' &&
        typeof item.country.name === 'string',
    ).length;
    return whole === count ? null : `expected ${count} cities with every part, got ${whole}: ${JSON.stringify(items.slice(0, 2))}`;
  };
}
