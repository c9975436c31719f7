import type { FaultRule } from '../../simulator/faults.js';
import type { SimulatorCalls } from '../../simulator/simulator.js';
import type { WeatherOverride } from '../../simulator/weather-overrides.js';

/** The simulator's four upstream base URLs. */
export interface SimulatorUrls {
  geocodingUrl: string;
  forecastUrl: string;
  airQualityUrl: string;
  countriesUrl: string;
}

/** Drives a simulator in another process over its /__sim/* control routes. */
export interface SimulatorClient extends SimulatorUrls {
  /** Replaces the fault rules and zeroes the call counts. */
  reset(faults: FaultRule[]): Promise<void>;
  calls(): Promise<SimulatorCalls>;
  /** Sets a known city's current weather (see the simulator's WeatherOverride); a reset clears it. */
  setWeather(city: string, current: WeatherOverride): Promise<void>;
}

export function simulatorClient(urls: SimulatorUrls): SimulatorClient {
  const { geocodingUrl } = urls;
  const control = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${geocodingUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!response.ok) throw new Error(`simulator ${method} ${path}: HTTP ${response.status} ${await response.text()}`);
    return response.json();
  };
  return {
    ...urls,
    async reset(faults) {
      await control('POST', '/__sim/reset');
      if (faults.length > 0) await control('POST', '/__sim/faults', faults);
    },
    calls: () => control('GET', '/__sim/calls') as Promise<SimulatorCalls>,
    async setWeather(city, current) {
      await control('POST', '/__sim/weather', { city, current });
    },
  };
}
