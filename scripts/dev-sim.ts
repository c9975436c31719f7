// `npm run dev:sim`: the gateway wired to a local simulator of its upstream APIs, so that
// weather, air quality and countries work end to end with no network. Everything else is
// `npm start` unchanged (same config, same database); only the upstream URLs point at the simulator.
import { SIM_API_KEY } from '../simulator/countries-keys.js';
import { startSimulator } from '../simulator/simulator.js';

const simulator = await startSimulator();
process.env.OPEN_METEO_GEOCODING_URL = simulator.geocodingUrl;
process.env.OPEN_METEO_FORECAST_URL = simulator.forecastUrl;
process.env.OPEN_METEO_AIR_QUALITY_URL = simulator.airQualityUrl;
process.env.REST_COUNTRIES_URL = simulator.countriesUrl;
// The simulated REST Countries v5 wants a key, as the real one does; this is one it takes.
process.env.REST_COUNTRIES_API_KEY = SIM_API_KEY;

process.stdout.write(`
Upstream simulator: geocoding ${simulator.geocodingUrl}, forecast ${simulator.forecastUrl},
air quality ${simulator.airQualityUrl}, countries ${simulator.countriesUrl}
It knows about 65 real cities (Berlin, Paris, Tokyo, São Paulo, …) and every country;
other names are not found.

Try this in GraphiQL (its URL is in the log line that says "gatherql is listening"):

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

Inject faults, then ask for a city the query above did not ask for: the gateway caches
answers, so a fault for Berlin, Paris or Tokyo changes nothing until their entries expire.
Here Lima's air quality and weather fail:

  curl -X POST ${simulator.forecastUrl}/__sim/faults -H 'content-type: application/json' \\
    -d '[{"endpoint":"air-quality","city":"Lima","fault":{"kind":"status","status":503}},
         {"endpoint":"forecast","city":"Lima","fault":{"kind":"status","status":503}}]'

and run the Cities query again with names: ["Lima"]. Country facts are loaded whole, 3 calls
once a day, and answered from memory: a countries fault shows at the next day's load.
To see what the simulator was asked, and to clear the faults and counts:

  curl ${simulator.forecastUrl}/__sim/calls
  curl -X POST ${simulator.forecastUrl}/__sim/reset

`);

// server.ts is the process entry: config, gateway, listen, shutdown on SIGTERM/SIGINT.
await import('../server.js');
