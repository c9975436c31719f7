import { z } from 'zod';
import { findCityByName, simNameKey } from './cities.js';

/**
 * The current weather a test sets for a known city, in Open-Meteo's `current` variables; what
 * it leaves out keeps the simulator's own value. `time` (the observation's start, UTC
 * `YYYY-MM-DDTHH:MM`) pins the observation time, which otherwise moves every 15 minutes: a
 * test that must see no change pins it.
 */
export const weatherOverride = z
  .object({
    temperature_2m: z.number(),
    relative_humidity_2m: z.number(),
    apparent_temperature: z.number(),
    weather_code: z.number().int(),
    wind_speed_10m: z.number(),
    time: z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/, 'YYYY-MM-DDTHH:MM'),
  })
  .partial()
  .strict();

export type WeatherOverride = z.infer<typeof weatherOverride>;

/** A city's current weather as a test wants it: `POST /__sim/weather` with `{"city": "Rome", "current": {…}}`. */
export const weatherRule = z.object({ city: z.string().min(1), current: weatherOverride }).strict();

/** The overrides by city, keyed as the simulator compares names. */
export class WeatherBook {
  private readonly byCity = new Map<string, WeatherOverride>();

  /** Sets (replaces) a known city's override; throws for a name the simulator does not know. */
  set(city: string, current: WeatherOverride): void {
    const known = findCityByName(city);
    if (!known) throw new Error(`The simulator knows no city called ${JSON.stringify(city)}`);
    this.byCity.set(simNameKey(known.name), weatherOverride.parse(current));
  }

  /** The override of a city (by its canonical name), if any. */
  get(cityName: string): WeatherOverride | undefined {
    return this.byCity.get(simNameKey(cityName));
  }

  clear(): void {
    this.byCity.clear();
  }
}
