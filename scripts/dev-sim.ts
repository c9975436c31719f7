// `npm run dev:sim`: the gateway wired to a local simulator of its upstream APIs, so that
// weather, air quality and countries work end to end with no network. Everything else is
// `npm start` unchanged (same config, same database); only the upstream URLs point at the simulator.
import cluster from 'node:cluster';
import { SIM_API_KEY } from '../simulator/countries-keys.js';
import { startSimulator } from '../simulator/simulator.js';

// The city of the fault demo: no example of the docs asks for it, so nothing of it is cached yet.
const FAULT_DEMO_CITY = 'Nairobi';

const simulator = await startSimulator();
process.env.OPEN_METEO_GEOCODING_URL = simulator.geocodingUrl;
process.env.OPEN_METEO_FORECAST_URL = simulator.forecastUrl;
process.env.OPEN_METEO_AIR_QUALITY_URL = simulator.airQualityUrl;
process.env.REST_COUNTRIES_URL = simulator.countriesUrl;
// The simulated REST Countries v5 wants a key, as the real one does; this is one it takes.
process.env.REST_COUNTRIES_API_KEY = SIM_API_KEY;

// server.ts is the process entry: config, gateway, listen, shutdown on SIGTERM/SIGINT.
const { servingUrl } = await import('../server.js');

// Once, in the process that listens (with WORKERS, the workers log their own URL).
if (cluster.isPrimary) {
  process.stdout.write(`
GraphiQL: ${servingUrl ?? 'the url of the log lines that say "gatherql is listening"'}
Upstream simulator: geocoding ${simulator.geocodingUrl}, forecast ${simulator.forecastUrl},
air quality ${simulator.airQualityUrl}, countries ${simulator.countriesUrl}
It knows about 65 real cities (Berlin, Paris, Tokyo, São Paulo, …) and every country;
other names are not found.

Try this in GraphiQL:

  query Cities {
    cities(names: ["Berlin", "paris", "Tokyo", "Atlantis", ""]) {
      __typename
      ... on City {
        name
        location { name countryCode }
        weather { __typename ... on CityWeather { temperatureC conditions stale } ... on WeatherError { code message } }
        airQuality { __typename ... on AirQuality { usAqi category pm2_5 } ... on UpstreamError { source code message } }
        country { __typename ... on Country { name capitals flag currencies { code symbol } } ... on UpstreamError { source code message } }
      }
      ... on CityError { name code message }
    }
  }

Faults on demand. The gateway caches what it fetched, so a fault shows on a city that no
query has asked for yet (no example in the docs asks for ${FAULT_DEMO_CITY}). Here its air
quality fails with 503 and its forecast answers with the wrong types:

  curl -X POST ${simulator.forecastUrl}/__sim/faults -H 'content-type: application/json' \\
    -d '[{"endpoint":"air-quality","city":"${FAULT_DEMO_CITY}","fault":{"kind":"status","status":503}},
         {"endpoint":"forecast","city":"${FAULT_DEMO_CITY}","fault":{"kind":"wrong-types"}}]'

then run the Cities query with names: ["${FAULT_DEMO_CITY}"]. Country facts are loaded whole, 3 calls
once a day, and answered from memory: a countries fault shows at the next day's load. What the
simulator was asked, and clearing the faults and counts (docs/upstreams.md, "The simulator"):

  curl ${simulator.forecastUrl}/__sim/calls
  curl -X POST ${simulator.forecastUrl}/__sim/reset

`);
}
