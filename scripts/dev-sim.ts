// `npm run dev:sim`: the gateway wired to a local Open-Meteo simulator, so that weather works
// end to end with no network. Everything else is `npm start` unchanged (same config, same
// database); only the two upstream URLs point at the simulator.
import { startOpenMeteoSimulator } from '../simulator/open-meteo-sim.js';

const simulator = await startOpenMeteoSimulator();
process.env.OPEN_METEO_GEOCODING_URL = simulator.geocodingUrl;
process.env.OPEN_METEO_FORECAST_URL = simulator.forecastUrl;

process.stdout.write(`
Open-Meteo simulator: geocoding ${simulator.geocodingUrl}, forecast ${simulator.forecastUrl}
It knows about 50 real cities (Berlin, Paris, Tokyo, São Paulo, …); other names are not found.

Try this in GraphiQL (the URL is in the next log line):

  query Weather {
    weather(cities: ["Berlin", "paris", "Tokyo", "Atlantis", ""]) {
      __typename
      ... on CityWeather { city temperatureC conditions observedAt stale location { name country } }
      ... on WeatherError { city code message }
    }
  }

Inject a fault, then ask again (see README, "The Open-Meteo simulator"):

  curl -X POST ${simulator.forecastUrl}/__sim/faults -H 'content-type: application/json' \\
    -d '[{"endpoint":"forecast","city":"Tokyo","fault":{"kind":"status","status":503}}]'
  curl ${simulator.forecastUrl}/__sim/calls
  curl -X POST ${simulator.forecastUrl}/__sim/reset

`);

// server.ts is the process entry: config, gateway, listen, shutdown on SIGTERM/SIGINT.
await import('../server.js');
