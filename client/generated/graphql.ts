/* eslint-disable */
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';
export type Maybe<T> = T | null;
export type InputMaybe<T> = T | null | undefined;
export type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
export type MakeOptional<T, K extends keyof T> = Omit<T, K> & { [SubKey in K]?: Maybe<T[SubKey]> };
export type MakeMaybe<T, K extends keyof T> = Omit<T, K> & { [SubKey in K]: Maybe<T[SubKey]> };
export type MakeEmpty<T extends { [key: string]: unknown }, K extends keyof T> = { [_ in K]?: never };
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
/** All built-in and custom scalars, mapped to their actual values */
export type Scalars = {
  ID: { input: string; output: string; }
  String: { input: string; output: string; }
  Boolean: { input: boolean; output: boolean; }
  Int: { input: number; output: number; }
  Float: { input: number; output: number; }
  /** An ISO-8601 date-time in UTC, e.g. 2026-11-25T09:30:00.000Z. */
  DateTime: { input: string; output: string; }
};

/** Current air quality at a location (Open-Meteo's air quality API). */
export type AirQuality = {
  __typename?: 'AirQuality';
  /** Plain words for the US AQI band, e.g. "Moderate"; null when usAqi is null. */
  category?: Maybe<Scalars['String']['output']>;
  /** European AQI; null where the model has no value. */
  europeanAqi?: Maybe<Scalars['Int']['output']>;
  freshness: Freshness;
  /** Nitrogen dioxide, µg/m³. */
  nitrogenDioxide?: Maybe<Scalars['Float']['output']>;
  observedAt: Scalars['DateTime']['output'];
  /** Ozone, µg/m³. */
  ozone?: Maybe<Scalars['Float']['output']>;
  /** Particulate matter under 2.5 µm, µg/m³. */
  pm2_5?: Maybe<Scalars['Float']['output']>;
  /** Particulate matter under 10 µm, µg/m³. */
  pm10?: Maybe<Scalars['Float']['output']>;
  /** US AQI, 0-500; null where the model has no value. */
  usAqi?: Maybe<Scalars['Int']['output']>;
};

export type AirQualityResult = AirQuality | UpstreamError;

export type AuthPayload = {
  __typename?: 'AuthPayload';
  /** Bearer token for the Authorization header. */
  token: Scalars['String']['output'];
  user: User;
};

export type AuthorStats = {
  __typename?: 'AuthorStats';
  postCount: Scalars['Int']['output'];
  user: User;
};

export type BackgroundWork = {
  __typename?: 'BackgroundWork';
  failedLastHour: Scalars['Int']['output'];
  queued: Scalars['Int']['output'];
  running: Scalars['Int']['output'];
  schedules: Array<Schedule>;
  succeededLastHour: Scalars['Int']['output'];
  waitingForQuota: Scalars['Int']['output'];
};

export type BulkUpdateUsersPayload = {
  __typename?: 'BulkUpdateUsersPayload';
  /** Ids that matched no user; nothing else was skipped. */
  missingIds: Array<Scalars['ID']['output']>;
  updatedCount: Scalars['Int']['output'];
};

export type BulkUserUpdate = {
  bio?: InputMaybe<Scalars['String']['input']>;
  displayName?: InputMaybe<Scalars['String']['input']>;
  email?: InputMaybe<Scalars['String']['input']>;
  id: Scalars['ID']['input'];
  role?: InputMaybe<Role>;
};

export type CacheSource =
  | 'AIR_QUALITY'
  | 'COUNTRIES'
  | 'FORECAST'
  | 'GEOCODING'
  /** Whole answers kept by the response cache. */
  | 'RESPONSES';

export type CancelCityReportResult = CityReport | ForbiddenError | NotFoundError;

/** A place that geocoding found, with what each upstream API says about it. */
export type City = {
  __typename?: 'City';
  airQuality: AirQualityResult;
  country: CountryResult;
  location: Location;
  /** The name exactly as the client asked for it. */
  name: Scalars['String']['output'];
  weather: WeatherResult;
};

/** A name that could not be placed: invalid, not found, or geocoding failed. */
export type CityError = Error & {
  __typename?: 'CityError';
  code: WeatherErrorCode;
  message: Scalars['String']['output'];
  name: Scalars['String']['output'];
  /** Seconds until asking again can succeed, when known (a quota window, a Retry-After, an open circuit). */
  retryAfterSeconds?: Maybe<Scalars['Int']['output']>;
};

export type CityPart =
  | 'AIR_QUALITY'
  | 'COUNTRY'
  | 'WEATHER';

/** Places gathered in the background: each row is what `cities` would have answered for its name, when it was gathered. */
export type CityReport = Node & {
  __typename?: 'CityReport';
  createdAt: Scalars['DateTime']['output'];
  /** How many names have their final row. */
  done: Scalars['Int']['output'];
  /** Why the report FAILED. */
  failure?: Maybe<Scalars['String']['output']>;
  finishedAt?: Maybe<Scalars['DateTime']['output']>;
  /** Opaque global id; decode nothing from it. */
  id: Scalars['ID']['output'];
  /** When a WAITING_FOR_QUOTA report goes on. */
  resumesAt?: Maybe<Scalars['DateTime']['output']>;
  /** The rows gathered so far, in input order. */
  rows: CityReportRowConnection;
  startedAt?: Maybe<Scalars['DateTime']['output']>;
  state: ReportState;
  /** How many names were asked for. */
  total: Scalars['Int']['output'];
  /** Upstream calls the report has made so far (cached values cost none). */
  upstreamCalls: Scalars['Int']['output'];
};


/** Places gathered in the background: each row is what `cities` would have answered for its name, when it was gathered. */
export type CityReportRowsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
};

export type CityReportConnection = {
  __typename?: 'CityReportConnection';
  edges: Array<CityReportEdge>;
  pageInfo: PageInfo;
  totalCount: Scalars['Int']['output'];
};

export type CityReportEdge = {
  __typename?: 'CityReportEdge';
  cursor: Scalars['String']['output'];
  node: CityReport;
};

export type CityReportInput = {
  /** 1 to the configured maximum (default 5000) names; invalid names become CityError rows. */
  names: Array<Scalars['String']['input']>;
  /** The parts to gather for each place; all of them when omitted. */
  parts?: InputMaybe<Array<CityPart>>;
};

export type CityReportRow = {
  __typename?: 'CityReportRow';
  /** 0-based index of the name in the input. */
  position: Scalars['Int']['output'];
  result: CityResult;
};

export type CityReportRowConnection = {
  __typename?: 'CityReportRowConnection';
  edges: Array<CityReportRowEdge>;
  pageInfo: PageInfo;
  totalCount: Scalars['Int']['output'];
};

export type CityReportRowEdge = {
  __typename?: 'CityReportRowEdge';
  cursor: Scalars['String']['output'];
  node: CityReportRow;
};

export type CityResult = City | CityError;

export type CityWeather = {
  __typename?: 'CityWeather';
  apparentTemperatureC?: Maybe<Scalars['Float']['output']>;
  /** The city exactly as the client asked for it. */
  city: Scalars['String']['output'];
  /** Plain words for weatherCode, e.g. "Partly cloudy". */
  conditions: Scalars['String']['output'];
  freshness: Freshness;
  location: Location;
  observedAt: Scalars['DateTime']['output'];
  relativeHumidity?: Maybe<Scalars['Float']['output']>;
  /** True when the value is past its time to live: the upstream failed just now, or a refresh is under way. */
  stale: Scalars['Boolean']['output'];
  temperatureC: Scalars['Float']['output'];
  /** WMO weather interpretation code. */
  weatherCode: Scalars['Int']['output'];
  windSpeedKmh: Scalars['Float']['output'];
};

/** Facts about a country: from REST Countries v5, or from the bundled world-countries dataset (ODbL-1.0, https://github.com/mledoze/countries) when freshness.state is BUNDLED. */
export type Country = {
  __typename?: 'Country';
  capitals: Array<Scalars['String']['output']>;
  /** ISO 3166-1 alpha-2 code, e.g. "FR". */
  code: Scalars['String']['output'];
  currencies: Array<Currency>;
  /** The flag as an emoji, e.g. "🇫🇷". */
  flag?: Maybe<Scalars['String']['output']>;
  freshness: Freshness;
  languages: Array<Scalars['String']['output']>;
  name: Scalars['String']['output'];
  officialName: Scalars['String']['output'];
  population?: Maybe<Scalars['Int']['output']>;
  region?: Maybe<Scalars['String']['output']>;
  subregion?: Maybe<Scalars['String']['output']>;
};

export type CountryResult = Country | UpstreamError;

export type CreatePostInput = {
  /** At most 100,000 characters. */
  content: Scalars['String']['input'];
  published?: InputMaybe<Scalars['Boolean']['input']>;
  /** 1-200 characters after trimming. */
  title: Scalars['String']['input'];
};

export type CreatePostResult = PostPayload | ValidationError;

export type Currency = {
  __typename?: 'Currency';
  /** ISO 4217 code, e.g. "EUR". */
  code: Scalars['String']['output'];
  name: Scalars['String']['output'];
  symbol?: Maybe<Scalars['String']['output']>;
};

export type DeletePostPayload = {
  __typename?: 'DeletePostPayload';
  deletedId: Scalars['ID']['output'];
};

export type DeletePostResult = DeletePostPayload | ForbiddenError | NotFoundError;

export type Error = {
  message: Scalars['String']['output'];
};

export type FieldError = {
  __typename?: 'FieldError';
  message: Scalars['String']['output'];
  /** Path of the offending input field, e.g. ["input", "email"] or ["inputs", "3", "username"]. */
  path: Array<Scalars['String']['output']>;
};

export type ForbiddenError = Error & {
  __typename?: 'ForbiddenError';
  message: Scalars['String']['output'];
};

/** Where a value came from and how old it is. */
export type Freshness = {
  __typename?: 'Freshness';
  /** Whole seconds since fetchedAt. */
  ageSeconds: Scalars['Int']['output'];
  /** When the upstream produced the answer the value came from. */
  fetchedAt: Scalars['DateTime']['output'];
  state: FreshnessState;
  /** How long the value counts as fresh after fetchedAt. */
  ttlSeconds: Scalars['Int']['output'];
};

export type FreshnessState =
  /** From the dataset shipped with the gateway, used where no live source is configured; fetchedAt is the dataset's date. */
  | 'BUNDLED'
  /** From a cache, within its time to live. */
  | 'CACHED'
  /** Fetched for this request, or by a call in flight that it joined. */
  | 'LIVE'
  /** From a cache, past its time to live: the upstream failed just now, or a refresh is under way. */
  | 'STALE';

export type ImportUserResult = ImportedUser | UsernameTakenError | ValidationError;

export type ImportedUser = {
  __typename?: 'ImportedUser';
  user: User;
};

export type InvalidCredentialsError = Error & {
  __typename?: 'InvalidCredentialsError';
  message: Scalars['String']['output'];
};

export type Location = {
  __typename?: 'Location';
  country?: Maybe<Scalars['String']['output']>;
  /** ISO 3166-1 alpha-2 code of the country, e.g. "FR"; null where geocoding gives none. */
  countryCode?: Maybe<Scalars['String']['output']>;
  latitude: Scalars['Float']['output'];
  longitude: Scalars['Float']['output'];
  name: Scalars['String']['output'];
  timezone?: Maybe<Scalars['String']['output']>;
};

export type LogInResult = AuthPayload | InvalidCredentialsError;

export type Mutation = {
  __typename?: 'Mutation';
  /** Admin only: update several users in one transaction. */
  bulkUpdateUsers: BulkUpdateUsersPayload;
  /** The report's owner (or an admin): stop a report that has not finished; what it gathered stays readable. */
  cancelCityReport: CancelCityReportResult;
  /** Signed-in users only; the author is the viewer. */
  createPost: CreatePostResult;
  /** Only the post’s author (or an admin). */
  deletePost: DeletePostResult;
  /** Admin only: create many accounts; one result per input, in input order. */
  importUsers: Array<ImportUserResult>;
  logIn: LogInResult;
  /** Admin only: drop cached upstream values, and every kept answer, on every instance. */
  purgeCaches: PurgeCachesPayload;
  /** Create an account (with its profile, in one transaction) and sign in. */
  signUp: SignUpResult;
  /**
   * Signed-in users only: gather every named place in the background, paced under the
   * upstream quotas, resumed after a restart. Answers at once with the queued report.
   */
  startCityReport: StartCityReportResult;
  /** Only the post’s author. */
  updatePost: UpdatePostResult;
  /** Signed-in users only: edit one’s own profile. */
  updateProfile: UpdateProfileResult;
};


export type MutationBulkUpdateUsersArgs = {
  updates: Array<BulkUserUpdate>;
};


export type MutationCancelCityReportArgs = {
  id: Scalars['ID']['input'];
};


export type MutationCreatePostArgs = {
  input: CreatePostInput;
};


export type MutationDeletePostArgs = {
  id: Scalars['ID']['input'];
};


export type MutationImportUsersArgs = {
  inputs: Array<SignUpInput>;
};


export type MutationLogInArgs = {
  password: Scalars['String']['input'];
  username: Scalars['String']['input'];
};


export type MutationPurgeCachesArgs = {
  input: PurgeCachesInput;
};


export type MutationSignUpArgs = {
  input: SignUpInput;
};


export type MutationStartCityReportArgs = {
  input: CityReportInput;
};


export type MutationUpdatePostArgs = {
  id: Scalars['ID']['input'];
  input: UpdatePostInput;
};


export type MutationUpdateProfileArgs = {
  input: UpdateProfileInput;
};

export type Node = {
  /** Opaque global id; decode nothing from it. */
  id: Scalars['ID']['output'];
};

export type NotFoundError = Error & {
  __typename?: 'NotFoundError';
  id: Scalars['ID']['output'];
  message: Scalars['String']['output'];
};

export type PageInfo = {
  __typename?: 'PageInfo';
  endCursor?: Maybe<Scalars['String']['output']>;
  hasNextPage: Scalars['Boolean']['output'];
  hasPreviousPage: Scalars['Boolean']['output'];
  startCursor?: Maybe<Scalars['String']['output']>;
};

export type Post = Node & {
  __typename?: 'Post';
  author: User;
  content: Scalars['String']['output'];
  createdAt: Scalars['DateTime']['output'];
  /** Opaque global id; decode nothing from it. */
  id: Scalars['ID']['output'];
  published: Scalars['Boolean']['output'];
  title: Scalars['String']['output'];
  updatedAt: Scalars['DateTime']['output'];
};

export type PostConnection = {
  __typename?: 'PostConnection';
  edges: Array<PostEdge>;
  pageInfo: PageInfo;
  totalCount: Scalars['Int']['output'];
};

export type PostEdge = {
  __typename?: 'PostEdge';
  cursor: Scalars['String']['output'];
  node: Post;
};

export type PostPayload = {
  __typename?: 'PostPayload';
  post: Post;
};

export type PurgeCachesInput = {
  /** Only what is cached about these place names (their geocoding, and the values at their coordinates); everything when omitted. */
  places?: InputMaybe<Array<Scalars['String']['input']>>;
  /** The caches to purge; all of them when omitted. */
  sources?: InputMaybe<Array<CacheSource>>;
};

export type PurgeCachesPayload = {
  __typename?: 'PurgeCachesPayload';
  /** Entries removed (on this instance, and in the shared tier when there is one). */
  purged: Scalars['Int']['output'];
};

export type Query = {
  __typename?: 'Query';
  /** Admin only: the background work of every instance at a glance. */
  backgroundWork: BackgroundWork;
  /**
   * Everything the gateway gathers about each named place, one result per name, in
   * input order: where it is, its current weather, its air quality and its country.
   * Each part comes from its own upstream API and fails on its own; a name that
   * geocoding cannot place is a CityError. Same limits and name rules as `weather`.
   */
  cities: Array<CityResult>;
  /** A report the viewer started (an admin sees every report); null when there is none or it is not the viewer's. */
  cityReport?: Maybe<CityReport>;
  /** Signed-in users only: the viewer's reports, newest first. */
  cityReports: CityReportConnection;
  node?: Maybe<Node>;
  nodes: Array<Maybe<Node>>;
  /** A published post, or an unpublished one whose author is the viewer. */
  post?: Maybe<Post>;
  /** Published posts, newest first. */
  posts: PostConnection;
  /** Users ordered by number of published posts, most first (ties: oldest account first). */
  topAuthors: Array<AuthorStats>;
  user?: Maybe<User>;
  userByUsername?: Maybe<User>;
  users: UserConnection;
  /** The signed-in user, from the bearer token; null when anonymous. */
  viewer?: Maybe<User>;
  /**
   * Current weather for each city, fetched concurrently. One result per input
   * city, in input order. A failing city never fails the others.
   * More cities than the configured maximum (default 50) is BAD_USER_INPUT.
   */
  weather: Array<WeatherResult>;
};


export type QueryCitiesArgs = {
  names: Array<Scalars['String']['input']>;
};


export type QueryCityReportArgs = {
  id: Scalars['ID']['input'];
};


export type QueryCityReportsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
};


export type QueryNodeArgs = {
  id: Scalars['ID']['input'];
};


export type QueryNodesArgs = {
  ids: Array<Scalars['ID']['input']>;
};


export type QueryPostArgs = {
  id: Scalars['ID']['input'];
};


export type QueryPostsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
};


export type QueryTopAuthorsArgs = {
  limit?: InputMaybe<Scalars['Int']['input']>;
};


export type QueryUserArgs = {
  id: Scalars['ID']['input'];
};


export type QueryUserByUsernameArgs = {
  username: Scalars['String']['input'];
};


export type QueryUsersArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
};


export type QueryWeatherArgs = {
  cities: Array<Scalars['String']['input']>;
};

export type ReportState =
  | 'CANCELLED'
  /** Stopped by a fault that is not one place's (each place's own problems are CityError rows). */
  | 'FAILED'
  /** Accepted, not started yet. */
  | 'QUEUED'
  | 'RUNNING'
  | 'SUCCEEDED'
  /** Paused until an upstream quota window reopens (resumesAt). */
  | 'WAITING_FOR_QUOTA';

export type Role =
  | 'ADMIN'
  | 'USER';

/** A task the gateway runs on a schedule (e.g. refreshing the countries dataset). */
export type Schedule = {
  __typename?: 'Schedule';
  /** The schedule in words or cron syntax, e.g. "every 24 h". */
  every: Scalars['String']['output'];
  /** "ok", or why the last run failed. */
  lastOutcome?: Maybe<Scalars['String']['output']>;
  lastRunAt?: Maybe<Scalars['DateTime']['output']>;
  name: Scalars['String']['output'];
  nextRunAt?: Maybe<Scalars['DateTime']['output']>;
};

export type SignUpInput = {
  bio?: InputMaybe<Scalars['String']['input']>;
  displayName?: InputMaybe<Scalars['String']['input']>;
  email: Scalars['String']['input'];
  /** At least 10 characters. */
  password: Scalars['String']['input'];
  /** 3-32 characters: letters, digits, '_' and '.'; unique, case-insensitively. */
  username: Scalars['String']['input'];
};

export type SignUpResult = AuthPayload | UsernameTakenError | ValidationError;

export type StartCityReportResult = CityReport | ValidationError;

export type Subscription = {
  __typename?: 'Subscription';
  /** The report each time its state or progress changes; the stream ends after its final state. */
  cityReportUpdated: CityReport;
  /** Each post when it becomes published (created published, or updated to published), whichever instance wrote it. */
  postPublished: Post;
  /**
   * Each city's weather at once, then again whenever the gateway's value for it changes.
   * One upstream poll per city per time to live, however many subscribers and instances.
   * Same limits and name rules as `weather`.
   */
  weatherUpdates: WeatherResult;
};


export type SubscriptionCityReportUpdatedArgs = {
  id: Scalars['ID']['input'];
};


export type SubscriptionWeatherUpdatesArgs = {
  cities: Array<Scalars['String']['input']>;
};

export type UpdatePostInput = {
  content?: InputMaybe<Scalars['String']['input']>;
  published?: InputMaybe<Scalars['Boolean']['input']>;
  title?: InputMaybe<Scalars['String']['input']>;
};

export type UpdatePostResult = ForbiddenError | NotFoundError | PostPayload | ValidationError;

export type UpdateProfileInput = {
  bio?: InputMaybe<Scalars['String']['input']>;
  displayName?: InputMaybe<Scalars['String']['input']>;
  email?: InputMaybe<Scalars['String']['input']>;
};

export type UpdateProfilePayload = {
  __typename?: 'UpdateProfilePayload';
  user: User;
};

export type UpdateProfileResult = UpdateProfilePayload | ValidationError;

/** One part of an answer that an upstream API could not give; the rest of the answer is unaffected. */
export type UpstreamError = Error & {
  __typename?: 'UpstreamError';
  code: UpstreamErrorCode;
  message: Scalars['String']['output'];
  /** Seconds until asking again can succeed, when known (a quota window, a Retry-After, an open circuit). */
  retryAfterSeconds?: Maybe<Scalars['Int']['output']>;
  /** Which upstream failed: "forecast", "air-quality", "countries", … */
  source: Scalars['String']['output'];
};

export type UpstreamErrorCode =
  /** The upstream knows no such thing (e.g. a country code). */
  | 'NOT_FOUND'
  | 'QUOTA_EXHAUSTED'
  | 'RATE_LIMITED'
  | 'UPSTREAM_BAD_RESPONSE'
  | 'UPSTREAM_TIMEOUT'
  | 'UPSTREAM_UNAVAILABLE';

export type User = Node & {
  __typename?: 'User';
  bio?: Maybe<Scalars['String']['output']>;
  createdAt: Scalars['DateTime']['output'];
  displayName?: Maybe<Scalars['String']['output']>;
  /** Visible to the user themself and to admins; null for everyone else. */
  email?: Maybe<Scalars['String']['output']>;
  /** Opaque global id; decode nothing from it. */
  id: Scalars['ID']['output'];
  /** Number of published posts. */
  postCount: Scalars['Int']['output'];
  /** Published posts, plus unpublished ones when the viewer is this user. */
  posts: PostConnection;
  role: Role;
  username: Scalars['String']['output'];
};


export type UserPostsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
};

export type UserConnection = {
  __typename?: 'UserConnection';
  edges: Array<UserEdge>;
  pageInfo: PageInfo;
  totalCount: Scalars['Int']['output'];
};

export type UserEdge = {
  __typename?: 'UserEdge';
  cursor: Scalars['String']['output'];
  node: User;
};

export type UsernameTakenError = Error & {
  __typename?: 'UsernameTakenError';
  message: Scalars['String']['output'];
  username: Scalars['String']['output'];
};

export type ValidationError = Error & {
  __typename?: 'ValidationError';
  fields: Array<FieldError>;
  message: Scalars['String']['output'];
};

export type WeatherError = Error & {
  __typename?: 'WeatherError';
  city: Scalars['String']['output'];
  code: WeatherErrorCode;
  message: Scalars['String']['output'];
  /** Seconds until asking again can succeed, when known (a quota window, a Retry-After, an open circuit). */
  retryAfterSeconds?: Maybe<Scalars['Int']['output']>;
};

export type WeatherErrorCode =
  | 'CITY_NOT_FOUND'
  /** Empty, too long, or not a plausible place name. */
  | 'INVALID_CITY'
  /** The gateway's own budget for this upstream is spent, so it did not call; no cached value could stand in. */
  | 'QUOTA_EXHAUSTED'
  /** The upstream said 429 and no cached value could stand in. */
  | 'RATE_LIMITED'
  /** The upstream answered with something that is not the documented shape. */
  | 'UPSTREAM_BAD_RESPONSE'
  | 'UPSTREAM_TIMEOUT'
  /** Connection failed, 5xx after retries, or the circuit is open. */
  | 'UPSTREAM_UNAVAILABLE';

export type WeatherResult = CityWeather | WeatherError;

export type CitiesAsTheyArriveQueryVariables = Exact<{
  names: Array<Scalars['String']['input']> | Scalars['String']['input'];
}>;


export type CitiesAsTheyArriveQuery = { __typename?: 'Query', cities: Array<
    | { __typename: 'City', name: string, location: { __typename?: 'Location', name: string, country?: string | null } } & ({ __typename?: 'City', weather:
        | { __typename: 'CityWeather', temperatureC: number, conditions: string, stale: boolean }
        | { __typename: 'WeatherError', code: WeatherErrorCode, message: string }
       } | { __typename?: 'City', weather?: never })
    | { __typename: 'CityError', name: string, code: WeatherErrorCode, message: string }
  > };

export type LogInMutationVariables = Exact<{
  username: Scalars['String']['input'];
  password: Scalars['String']['input'];
}>;


export type LogInMutation = { __typename?: 'Mutation', logIn:
    | { __typename: 'AuthPayload', token: string, user: { __typename?: 'User', username: string, displayName?: string | null, role: Role } }
    | { __typename: 'InvalidCredentialsError', message: string }
   };

export type LatestPostsQueryVariables = Exact<{
  first?: InputMaybe<Scalars['Int']['input']>;
  after?: InputMaybe<Scalars['String']['input']>;
}>;


export type LatestPostsQuery = { __typename?: 'Query', posts: { __typename?: 'PostConnection', totalCount: number, edges: Array<{ __typename?: 'PostEdge', node: { __typename?: 'Post', id: string, title: string, createdAt: string, author: { __typename?: 'User', username: string, displayName?: string | null } } }>, pageInfo: { __typename?: 'PageInfo', hasNextPage: boolean, endCursor?: string | null } } };

export type WatchWeatherSubscriptionVariables = Exact<{
  cities: Array<Scalars['String']['input']> | Scalars['String']['input'];
}>;


export type WatchWeatherSubscription = { __typename?: 'Subscription', weatherUpdates:
    | { __typename: 'CityWeather', city: string, temperatureC: number, windSpeedKmh: number, conditions: string, observedAt: string }
    | { __typename: 'WeatherError', city: string, code: WeatherErrorCode, message: string }
   };

export type CurrentWeatherQueryVariables = Exact<{
  cities: Array<Scalars['String']['input']> | Scalars['String']['input'];
}>;


export type CurrentWeatherQuery = { __typename?: 'Query', weather: Array<
    | { __typename: 'CityWeather', city: string, temperatureC: number, windSpeedKmh: number, conditions: string, stale: boolean, location: { __typename?: 'Location', name: string, country?: string | null } }
    | { __typename: 'WeatherError', city: string, code: WeatherErrorCode, message: string }
  > };


export const CitiesAsTheyArriveDocument = {"__meta__":{"hash":"70f0176e7415054abbcd536ca68355db88122078e7702d2e409b93b58acfb507"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"CitiesAsTheyArrive"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"names"}},"type":{"kind":"NonNullType","type":{"kind":"ListType","type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cities"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"names"},"value":{"kind":"Variable","name":{"kind":"Name","value":"names"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"City"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"location"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"country"}}]}},{"kind":"InlineFragment","directives":[{"kind":"Directive","name":{"kind":"Name","value":"defer"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"label"},"value":{"kind":"StringValue","value":"weather","block":false}}]}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"weather"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"CityWeather"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"temperatureC"}},{"kind":"Field","name":{"kind":"Name","value":"conditions"}},{"kind":"Field","name":{"kind":"Name","value":"stale"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"WeatherError"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"CityError"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<CitiesAsTheyArriveQuery, CitiesAsTheyArriveQueryVariables>;
export const LogInDocument = {"__meta__":{"hash":"dec7aa48ba65feb153d41551389c62766606c2c7f90d93a23a058e1d1965dc02"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"LogIn"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"username"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"password"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"logIn"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"username"},"value":{"kind":"Variable","name":{"kind":"Name","value":"username"}}},{"kind":"Argument","name":{"kind":"Name","value":"password"},"value":{"kind":"Variable","name":{"kind":"Name","value":"password"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"AuthPayload"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"token"}},{"kind":"Field","name":{"kind":"Name","value":"user"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"username"}},{"kind":"Field","name":{"kind":"Name","value":"displayName"}},{"kind":"Field","name":{"kind":"Name","value":"role"}}]}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"InvalidCredentialsError"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<LogInMutation, LogInMutationVariables>;
export const LatestPostsDocument = {"__meta__":{"hash":"7b468078ad55684ff703ab3db0c54aa3ec3c68aa529be8b844a9f5b28b5cf750"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"LatestPosts"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}},"defaultValue":{"kind":"IntValue","value":"10"}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"posts"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"title"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"author"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"username"}},{"kind":"Field","name":{"kind":"Name","value":"displayName"}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}}]}}]}}]} as unknown as DocumentNode<LatestPostsQuery, LatestPostsQueryVariables>;
export const WatchWeatherDocument = {"__meta__":{"hash":"fb98cdbaceb0f50f80e05aa9dc694f39de2166a666874c7b034d796e87562af3"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"WatchWeather"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"cities"}},"type":{"kind":"NonNullType","type":{"kind":"ListType","type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"weatherUpdates"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"cities"},"value":{"kind":"Variable","name":{"kind":"Name","value":"cities"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"CityWeather"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"city"}},{"kind":"Field","name":{"kind":"Name","value":"temperatureC"}},{"kind":"Field","name":{"kind":"Name","value":"windSpeedKmh"}},{"kind":"Field","name":{"kind":"Name","value":"conditions"}},{"kind":"Field","name":{"kind":"Name","value":"observedAt"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"WeatherError"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"city"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<WatchWeatherSubscription, WatchWeatherSubscriptionVariables>;
export const CurrentWeatherDocument = {"__meta__":{"hash":"84f1aba18c991ef53fde5a120b067c2ab3a0f27b42657f319379436703a1552c"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"CurrentWeather"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"cities"}},"type":{"kind":"NonNullType","type":{"kind":"ListType","type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"weather"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"cities"},"value":{"kind":"Variable","name":{"kind":"Name","value":"cities"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"CityWeather"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"city"}},{"kind":"Field","name":{"kind":"Name","value":"temperatureC"}},{"kind":"Field","name":{"kind":"Name","value":"windSpeedKmh"}},{"kind":"Field","name":{"kind":"Name","value":"conditions"}},{"kind":"Field","name":{"kind":"Name","value":"stale"}},{"kind":"Field","name":{"kind":"Name","value":"location"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"country"}}]}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"WeatherError"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"city"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<CurrentWeatherQuery, CurrentWeatherQueryVariables>;