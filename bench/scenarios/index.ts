import { burst } from './burst.js';
import { cachedGet } from './cached-get.js';
import { citiesCold } from './cities-cold.js';
import { citiesWarm } from './cities-warm.js';
import { coldFanout } from './cold-fanout.js';
import { freshness } from './freshness.js';
import { liveData } from './live-data.js';
import { mixedLoad } from './mixed.js';
import { postsWithAuthors } from './posts.js';
import { report } from './report.js';
import { reportPaced } from './report-paced.js';
import { scaleOut } from './scale-out.js';
import { tailLatency } from './tail.js';
import type { Scenario } from './types.js';
import { warmWeather } from './warm-weather.js';

/** Every scenario, in report order. */
export const SCENARIOS: Scenario[] = [
  warmWeather,
  postsWithAuthors,
  coldFanout,
  tailLatency,
  burst,
  mixedLoad,
  citiesCold,
  citiesWarm,
  freshness,
  scaleOut,
  report,
  reportPaced,
  liveData,
  cachedGet,
];
