/**
 * WMO weather interpretation codes (WW) as Open-Meteo documents them, in plain words.
 * Open-Meteo uses only these; anything else still gets words rather than an error.
 */
const WMO_CONDITIONS: Readonly<Record<number, string>> = {
  0: 'Clear sky',
  1: 'Mainly clear',
  2: 'Partly cloudy',
  3: 'Overcast',
  45: 'Fog',
  48: 'Depositing rime fog',
  51: 'Light drizzle',
  53: 'Moderate drizzle',
  55: 'Dense drizzle',
  56: 'Light freezing drizzle',
  57: 'Dense freezing drizzle',
  61: 'Slight rain',
  63: 'Moderate rain',
  65: 'Heavy rain',
  66: 'Light freezing rain',
  67: 'Heavy freezing rain',
  71: 'Slight snowfall',
  73: 'Moderate snowfall',
  75: 'Heavy snowfall',
  77: 'Snow grains',
  80: 'Slight rain showers',
  81: 'Moderate rain showers',
  82: 'Violent rain showers',
  85: 'Slight snow showers',
  86: 'Heavy snow showers',
  95: 'Thunderstorm',
  96: 'Thunderstorm with slight hail',
  99: 'Thunderstorm with heavy hail',
};

/** The codes Open-Meteo documents, e.g. for a simulator that must answer only real ones. */
export const WMO_CODES: readonly number[] = Object.keys(WMO_CONDITIONS).map(Number);

/** Plain words for a WMO code, e.g. 2 -> "Partly cloudy". */
export function describeWeatherCode(code: number): string {
  return WMO_CONDITIONS[code] ?? `Unknown conditions (WMO code ${code})`;
}
