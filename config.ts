import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { defaultUpstreamBudget } from './limits/upstream-budget.js';
import { REQUEST_CITY_FACTOR } from './resolvers/city-allowance.js';
import { ManifestError, type PersistedDocuments, readPersistedDocuments } from './persisted-documents.js';
import { parseQuotaLimits, type QuotaLimits } from './sources/kit/quota.js';
import { REST_COUNTRIES_V5_URL } from './sources/rest-countries/countries.js';
import { PROTOCOLS, SAMPLERS, type TracingSettings, tracesUrl } from './tracing/settings.js';

/**
 * Runtime configuration, read once from the environment. Every variable is optional;
 * the defaults serve a laptop. A bad value is a ConfigError naming the variable and
 * what it accepts, so start-up can stop with one clear line.
 */
export interface Config {
  port: number;
  host: string;
  databaseUrl: string;
  redisUrl: string | null;
  geocodingUrl: string;
  forecastUrl: string;
  airQualityUrl: string;
  restCountriesUrl: string;
  /** REST Countries v5's key, sent as a bearer token; null: country facts come from the bundled dataset. Never logged. */
  restCountriesApiKey: string | null;
  upstreamTimeoutMs: number;
  /** All upstream work of one request shares this; what is not done by then is UPSTREAM_TIMEOUT. */
  requestDeadlineMs: number;
  weatherMaxCities: number;
  weatherCacheTtlS: number;
  airQualityCacheTtlS: number;
  countryCacheTtlS: number;
  staleWhileRevalidateS: number;
  /** The gateway's budget for all Open-Meteo hosts together; null: none. */
  openMeteoQuota: QuotaLimits | null;
  restCountriesQuota: QuotaLimits | null;
  rateLimitPerMinute: number;
  /** Upstream look-ups (cold ones, not cache hits) per client per minute; 0 turns the budget off. By default, those of one maximal cold request. */
  upstreamBudgetPerMinute: number;
  /** Subscriptions one client may have open at once on this instance; more is RATE_LIMITED. */
  subscriptionsPerClient: number;
  /** Origins whose pages may read answers: '*' (any, without credentials) or a list. */
  corsOrigins: '*' | string[];
  /** Whether the listed origins may send credentials (cookies); only with a list. */
  corsCredentials: boolean;
  trustProxy: boolean;
  authSecret: string;
  /** True when AUTH_SECRET was not set and a random one was made for this process. */
  authSecretGenerated: boolean;
  logLevel: LogLevel;
  /** Open connections at most; more are closed as they arrive. */
  maxConnections: number;
  /** A connection on which nothing moves for this long is closed, also mid-response. */
  socketTimeoutMs: number;
  /** Gateway processes on this machine (node:cluster); each is a whole gateway. */
  workers: number;
  /** JOBS_REDIS_URL, else REDIS_URL: jobs run on BullMQ there; null: the embedded engine on the gateway's database. */
  jobsRedisUrl: string | null;
  /** City reports: names per report, reports one user may have active, days finished ones are kept. */
  reportMaxCities: number;
  reportsActivePerUser: number;
  reportRetentionDays: number;
  /** The share (0-1) of each upstream quota window that background work may spend; the rest is kept for requests. */
  reportQuotaShare: number;
  /**
   * Trusted documents: `allow` runs ids and plain documents, `only` ids alone, `off` ignores
   * ids. `documents` is the manifest read from `path`; null when off, or when allowed but absent.
   */
  persistedDocuments: { mode: 'allow' | 'only' | 'off'; path: string; documents: PersistedDocuments | null };
  /** OpenTelemetry tracing from the standard OTEL_* variables; null (off) unless an OTLP endpoint is set. */
  tracing: TracingSettings | null;
  production: boolean;
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const integer = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, `an integer from ${min} to ${max}`)
    .transform(Number)
    .pipe(z.number().int().min(min, `an integer from ${min} to ${max}`).max(max, `an integer from ${min} to ${max}`));

const httpUrl = z
  .string()
  .trim()
  .refine((value) => /^https?:\/\/[^\s/]+/.test(value) && URL.canParse(value), 'an http(s) URL')
  .transform((value) => value.replace(/\/+$/, ''));

const databaseUrl = z
  .string()
  .trim()
  .refine((value) => value === ':memory:' || /^file:.+/.test(value) || /^postgres(ql)?:\/\/.+/.test(value), 'file:PATH, :memory: or postgres://…')
  // The file's folder is made when missing (as ./data/ is on a first start), but only that
  // one: a path under folders that do not exist is more likely a typo than a wish.
  .refine((value) => !value.startsWith('file:') || existsSync(dirname(databaseFolder(value))), {
    error: (issue) => `a file whose folder exists or can be made in one that does (${dirname(databaseFolder(String(issue.input)))} does not exist)`,
  });

/** The folder of a `file:` database. */
function databaseFolder(url: string): string {
  return dirname(resolve(url.slice('file:'.length)));
}

const redisUrl = z
  .string()
  .trim()
  .refine((value) => /^rediss?:\/\/.+/.test(value) && URL.canParse(value), 'a redis:// or rediss:// URL');

const quota = z
  .string()
  .trim()
  .transform((value, context) => {
    try {
      return parseQuotaLimits(value);
    } catch (error) {
      context.addIssue({ code: 'custom', message: `off, or limits such as 600/minute,5000/hour,10000/day (${(error as Error).message})` });
      return z.NEVER;
    }
  });

const origins = z
  .string()
  .trim()
  .transform((value, context) => {
    if (value === '*') return '*' as const;
    const list = value
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean);
    const bad = list.find((item) => !URL.canParse(item) || new URL(item).origin !== item);
    if (list.length === 0 || bad !== undefined) {
      context.addIssue({
        code: 'custom',
        message: `* or origins such as https://app.example,http://localhost:5173${bad ? ` ("${bad}" is not an origin)` : ''}`,
      });
      return z.NEVER;
    }
    return list;
  });

const flag = z
  .string()
  .trim()
  .toLowerCase()
  .refine((value) => ['1', 'true', 'yes', '0', 'false', 'no', ''].includes(value), 'true or false')
  .transform((value) => ['1', 'true', 'yes'].includes(value));

/** One of `values`, in any case (the OTEL_* variables' values are case-insensitive). */
const choice = <T extends string>(values: readonly [T, ...T[]]) =>
  z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.enum(values, values.length === 2 ? `${values[0]} or ${values[1]}` : `one of ${values.join(', ')}`));

const ratio = z
  .string()
  .trim()
  .refine((value) => /^(\d+(\.\d*)?|\.\d+)$/.test(value) && Number(value) <= 1, 'a number from 0 to 1')
  .transform(Number);

/** Each variable with its parser and default; the order is the order of the table in docs/configuration.md. */
const variables = {
  PORT: integer(0, 65535).default(4000),
  HOST: z.string().trim().min(1, 'a host name or address').default('127.0.0.1'),
  DATABASE_URL: databaseUrl.default('file:./data/gatherql.sqlite'),
  REDIS_URL: redisUrl.optional(),
  OPEN_METEO_GEOCODING_URL: httpUrl.default('https://geocoding-api.open-meteo.com'),
  OPEN_METEO_FORECAST_URL: httpUrl.default('https://api.open-meteo.com'),
  OPEN_METEO_AIR_QUALITY_URL: httpUrl.default('https://air-quality-api.open-meteo.com'),
  REST_COUNTRIES_URL: httpUrl.default(REST_COUNTRIES_V5_URL),
  REST_COUNTRIES_API_KEY: z.string().trim().min(1, 'a non-empty key').optional(),
  UPSTREAM_TIMEOUT_MS: integer(1, 120_000).default(3000),
  REQUEST_DEADLINE_MS: integer(1, 600_000).default(5000),
  WEATHER_MAX_CITIES: integer(1, 1000).default(50),
  WEATHER_CACHE_TTL_S: integer(0, 86_400).default(300),
  AIR_QUALITY_CACHE_TTL_S: integer(0, 86_400).default(900),
  COUNTRY_CACHE_TTL_S: integer(0, 30 * 86_400).default(86_400),
  STALE_WHILE_REVALIDATE_S: integer(0, 86_400).default(60),
  OPEN_METEO_QUOTA: quota.default(() => parseQuotaLimits('600/minute,5000/hour,10000/day')),
  // REST Countries' free tier is 500 calls a month: 16 a day is at most 496 in the longest
  // month, whatever else is configured. A keyed gateway needs 3 a day (one load of 3 pages).
  REST_COUNTRIES_QUOTA: quota.default(() => parseQuotaLimits('16/day')),
  RATE_LIMIT_PER_MINUTE: integer(0, 1_000_000).default(100),
  // Unset: sized from WEATHER_MAX_CITIES (defaultUpstreamBudget).
  UPSTREAM_BUDGET_PER_MINUTE: integer(0, 1_000_000).optional(),
  SUBSCRIPTIONS_PER_CLIENT: integer(1, 100_000).default(20),
  CORS_ORIGINS: origins.default('*'),
  CORS_CREDENTIALS: flag.default(false),
  TRUST_PROXY: flag.default(false),
  AUTH_SECRET: z.string().min(32, 'at least 32 characters').optional(),
  LOG_LEVEL: z.enum(LOG_LEVELS, `one of ${LOG_LEVELS.join(', ')}`).default('info'),
  MAX_CONNECTIONS: integer(1, 1_000_000).default(10_000),
  SOCKET_TIMEOUT_S: integer(1, 3600).default(60),
  WORKERS: integer(1, 64).default(1),
  JOBS_REDIS_URL: redisUrl.optional(),
  REPORT_MAX_CITIES: integer(1, 100_000).default(5000),
  REPORTS_ACTIVE_PER_USER: integer(1, 1000).default(2),
  REPORT_QUOTA_SHARE: ratio.refine((value) => value > 0, 'a number above 0, up to 1').default(0.5),
  REPORT_RETENTION_DAYS: integer(1, 3650).default(7),
  PERSISTED_DOCUMENTS: z.enum(['allow', 'only', 'off'], 'allow, only or off').default('allow'),
  PERSISTED_DOCUMENTS_PATH: z.string().trim().default('client/generated/persisted-documents.json'),
  OTEL_EXPORTER_OTLP_ENDPOINT: httpUrl.optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: httpUrl.optional(),
  OTEL_EXPORTER_OTLP_PROTOCOL: choice(PROTOCOLS).default('http/protobuf'),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: choice(PROTOCOLS).optional(),
  OTEL_SERVICE_NAME: z.string().trim().min(1, 'a service name').optional(),
  OTEL_TRACES_SAMPLER: choice(SAMPLERS).default('parentbased_always_on'),
  OTEL_TRACES_SAMPLER_ARG: ratio.default(1),
  OTEL_TRACES_EXPORTER: choice(['otlp', 'none']).default('otlp'),
  OTEL_SDK_DISABLED: flag.default(false),
  NODE_ENV: z.string().optional(),
} as const;

const schema = z.object(variables);

/**
 * Parses the environment into a Config. Empty strings count as unset, so that
 * `PORT= npm start` behaves like no PORT at all.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const input: Record<string, string | undefined> = {};
  for (const name of Object.keys(variables)) {
    const value = env[name];
    input[name] = value === undefined || value.trim() === '' ? undefined : value;
  }
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0]);
    // Never echo AUTH_SECRET, an API key, or any URL (which may carry a password) back into a log.
    throw new ConfigError(`${name} is invalid: expected ${issue.message}`);
  }
  const vars = parsed.data;
  const production = vars.NODE_ENV === 'production';
  if (production && !vars.AUTH_SECRET) {
    throw new ConfigError('AUTH_SECRET is required when NODE_ENV=production: expected at least 32 characters');
  }
  // A page of any origin that may send cookies with its requests would act with its visitor's authority.
  if (vars.CORS_CREDENTIALS && vars.CORS_ORIGINS === '*') {
    throw new ConfigError('CORS_CREDENTIALS is invalid: expected false while CORS_ORIGINS is * (list the origins that may send credentials)');
  }
  // One attempt must fit in the time the whole request has for its upstream work.
  if (vars.REQUEST_DEADLINE_MS < vars.UPSTREAM_TIMEOUT_MS) {
    throw new ConfigError(`REQUEST_DEADLINE_MS is invalid: expected at least UPSTREAM_TIMEOUT_MS (${vars.UPSTREAM_TIMEOUT_MS})`);
  }
  // Waiting for the upstreams is silence on the client's connection: it must not count as a stalled client.
  if (vars.SOCKET_TIMEOUT_S * 1000 <= vars.REQUEST_DEADLINE_MS) {
    throw new ConfigError(
      `SOCKET_TIMEOUT_S is invalid: expected more than the longest upstream wait (REQUEST_DEADLINE_MS = ${vars.REQUEST_DEADLINE_MS / 1000} s)`,
    );
  }
  const persistedDocuments = {
    mode: vars.PERSISTED_DOCUMENTS,
    path: vars.PERSISTED_DOCUMENTS_PATH,
    documents: manifestFor(vars.PERSISTED_DOCUMENTS, vars.PERSISTED_DOCUMENTS_PATH),
  };
  return {
    port: vars.PORT,
    host: vars.HOST,
    databaseUrl: vars.DATABASE_URL,
    redisUrl: vars.REDIS_URL ?? null,
    geocodingUrl: vars.OPEN_METEO_GEOCODING_URL,
    forecastUrl: vars.OPEN_METEO_FORECAST_URL,
    airQualityUrl: vars.OPEN_METEO_AIR_QUALITY_URL,
    restCountriesUrl: vars.REST_COUNTRIES_URL,
    restCountriesApiKey: vars.REST_COUNTRIES_API_KEY ?? null,
    upstreamTimeoutMs: vars.UPSTREAM_TIMEOUT_MS,
    requestDeadlineMs: vars.REQUEST_DEADLINE_MS,
    weatherMaxCities: vars.WEATHER_MAX_CITIES,
    weatherCacheTtlS: vars.WEATHER_CACHE_TTL_S,
    airQualityCacheTtlS: vars.AIR_QUALITY_CACHE_TTL_S,
    countryCacheTtlS: vars.COUNTRY_CACHE_TTL_S,
    staleWhileRevalidateS: vars.STALE_WHILE_REVALIDATE_S,
    openMeteoQuota: vars.OPEN_METEO_QUOTA,
    restCountriesQuota: vars.REST_COUNTRIES_QUOTA,
    rateLimitPerMinute: vars.RATE_LIMIT_PER_MINUTE,
    upstreamBudgetPerMinute: vars.UPSTREAM_BUDGET_PER_MINUTE ?? defaultUpstreamBudget(REQUEST_CITY_FACTOR * vars.WEATHER_MAX_CITIES),
    subscriptionsPerClient: vars.SUBSCRIPTIONS_PER_CLIENT,
    corsOrigins: vars.CORS_ORIGINS,
    corsCredentials: vars.CORS_CREDENTIALS,
    trustProxy: vars.TRUST_PROXY,
    authSecret: vars.AUTH_SECRET ?? randomBytes(32).toString('base64url'),
    authSecretGenerated: !vars.AUTH_SECRET,
    logLevel: vars.LOG_LEVEL,
    maxConnections: vars.MAX_CONNECTIONS,
    socketTimeoutMs: vars.SOCKET_TIMEOUT_S * 1000,
    workers: vars.WORKERS,
    jobsRedisUrl: vars.JOBS_REDIS_URL ?? vars.REDIS_URL ?? null,
    reportMaxCities: vars.REPORT_MAX_CITIES,
    reportsActivePerUser: vars.REPORTS_ACTIVE_PER_USER,
    reportRetentionDays: vars.REPORT_RETENTION_DAYS,
    reportQuotaShare: vars.REPORT_QUOTA_SHARE,
    persistedDocuments,
    tracing: tracingFrom(vars),
    production,
  };
}

/** On when an OTLP endpoint is set, unless OTEL_SDK_DISABLED or OTEL_TRACES_EXPORTER=none says otherwise. */
function tracingFrom(vars: z.infer<typeof schema>): TracingSettings | null {
  const url = tracesUrl(vars.OTEL_EXPORTER_OTLP_ENDPOINT, vars.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
  if (!url || vars.OTEL_SDK_DISABLED || vars.OTEL_TRACES_EXPORTER === 'none') return null;
  return {
    url,
    protocol: vars.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? vars.OTEL_EXPORTER_OTLP_PROTOCOL,
    serviceName: vars.OTEL_SERVICE_NAME ?? null,
    sampler: vars.OTEL_TRACES_SAMPLER,
    samplerRatio: vars.OTEL_TRACES_SAMPLER_ARG,
  };
}

/** The manifest a mode needs: none when off; when allowed, none if the file is absent; else it, valid. */
function manifestFor(mode: Config['persistedDocuments']['mode'], path: string): PersistedDocuments | null {
  if (mode === 'off') return null;
  try {
    return readPersistedDocuments(path);
  } catch (error) {
    if (!(error instanceof ManifestError)) throw error;
    if (mode === 'allow' && (error.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') return null;
    throw new ConfigError(`PERSISTED_DOCUMENTS_PATH is invalid: expected the id -> document JSON that codegen writes (npm run codegen); ${error.message}`);
  }
}
