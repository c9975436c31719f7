/** One request of the soak's mixed load, as autocannon sends it. */
export interface SoakRequest {
  kind: string;
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

interface Kind {
  name: string;
  /** Share of the load, out of the sum of all weights. */
  weight: number;
  make(n: number, token: string): Omit<SoakRequest, 'kind'>;
}

const JSON_HEADERS = { 'content-type': 'application/json' };
const post = (query: string, variables: Record<string, unknown> = {}, token?: string) => ({
  method: 'POST' as const,
  path: '/graphql',
  headers: { ...JSON_HEADERS, ...(token && { authorization: `Bearer ${token}` }) },
  body: JSON.stringify({ query, variables }),
});

const WEATHER =
  'query Weather($cities: [String!]!) { weather(cities: $cities) { __typename ... on CityWeather { city temperatureC stale } ... on WeatherError { city code } } }';
const HEALTHY = ['Berlin', 'Paris', 'London', 'Madrid', 'Rome', 'Oslo', 'Vienna', 'Dublin'];
/** Each a faulty city (see faults.ts) next to a healthy one, or a place that does not exist. */
const FAULTY = [['Tokyo', 'Berlin'], ['Lima', 'Paris'], ['Cairo', 'London'], ['Nairobi'], ['Seoul', 'Madrid'], ['Atlantis', 'Rome']];
const POSTS = 'query Posts { posts(first: 10) { totalCount edges { node { title createdAt author { username displayName postCount } } } } }';
const VIEWER = 'query Viewer { viewer { username posts(first: 3) { totalCount edges { node { title } } } } }';
const CREATE = 'mutation Create($input: CreatePostInput!) { createPost(input: $input) { __typename ... on PostPayload { post { id } } } }';
const AUTHORS = 'query Authors { topAuthors(limit: 5) { postCount user { username } } users(first: 5) { edges { node { username } } } }';
const BOTH = 'query Both($cities: [String!]!) { posts(first: 3) { edges { node { title } } } weather(cities: $cities) { __typename } }';

/** Requests a client gets wrong: each must be a 4xx, never a 5xx. */
const INVALID = [
  post('{ posts(first: 1) { nope } }'),
  post('{ posts(first: 1) { edges { node { title } }'),
  post(
    '{ posts(first: 1) { edges { node { author { posts(first: 1) { edges { node { author { posts(first: 1) { edges { node { author { posts(first: 1) { edges { node { id } } } } } } } } } } } } } } } }',
  ),
  { method: 'POST' as const, path: '/graphql', headers: JSON_HEADERS, body: '{"query": "{ __typename }"' },
  { method: 'GET' as const, path: '/graphql?query=%7B__typename%7D&variables=%7Bnot-json', headers: {} },
  post(WEATHER, { cities: Array.from({ length: 60 }, (_, i) => HEALTHY[i % HEALTHY.length]) }),
];

const KINDS: Kind[] = [
  { name: 'weather', weight: 30, make: (n) => post(WEATHER, { cities: [HEALTHY[n % 8]!, HEALTHY[(n * 3 + 1) % 8]!] }) },
  { name: 'weather-faulty', weight: 10, make: (n) => post(WEATHER, { cities: FAULTY[n % FAULTY.length] }) },
  { name: 'posts', weight: 20, make: () => post(POSTS) },
  { name: 'viewer', weight: 10, make: (_n, token) => post(VIEWER, {}, token) },
  {
    name: 'create-post',
    weight: 5,
    make: (n, token) => post(CREATE, { input: { title: `Soak post ${n}`, content: 'Written under load.', published: n % 2 === 0 } }, token),
  },
  { name: 'authors', weight: 5, make: () => post(AUTHORS) },
  { name: 'posts-and-weather', weight: 10, make: (n) => post(BOTH, { cities: [HEALTHY[n % 8]!, FAULTY[n % FAULTY.length]![0]!] }) },
  { name: 'invalid', weight: 10, make: (n) => INVALID[n % INVALID.length]! },
];
const TOTAL = KINDS.reduce((sum, kind) => sum + kind.weight, 0);

/** The n-th request of the mix: the kinds interleave in proportion to their weights. */
export function soakRequest(n: number, token: string): SoakRequest {
  let slot = (n * 37) % TOTAL; // 37 is prime to 100: consecutive requests land on different kinds
  for (const kind of KINDS) {
    if (slot < kind.weight) return { kind: kind.name, ...kind.make(n, token) };
    slot -= kind.weight;
  }
  throw new Error('unreachable: the slots cover every weight');
}

/** Kind names with their shares, for the report. */
export const SOAK_MIX = KINDS.map((kind) => `${kind.name} ${Math.round((100 * kind.weight) / TOTAL)}%`);
