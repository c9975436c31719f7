import type { AirQualityRecord } from '../resolvers/cities.js';
import { builder } from './builder.js';
import { Freshness } from './freshness.js';
import { DateTime } from './scalars.js';
import { UpstreamError } from './upstream-error.js';

export const AirQuality = builder.objectRef<AirQualityRecord>('AirQuality').implement({
  description: "Current air quality at a location (Open-Meteo's air quality API).",
  fields: (t) => ({
    usAqi: t.exposeInt('usAqi', { nullable: true, description: 'US AQI, 0-500; null where the model has no value.' }),
    europeanAqi: t.exposeInt('europeanAqi', { nullable: true, description: 'European AQI; null where the model has no value.' }),
    category: t.exposeString('category', { nullable: true, description: 'Plain words for the US AQI band, e.g. "Moderate"; null when usAqi is null.' }),
    pm2_5: t.exposeFloat('pm2_5', { nullable: true, description: 'Particulate matter under 2.5 µm, µg/m³.' }),
    pm10: t.exposeFloat('pm10', { nullable: true, description: 'Particulate matter under 10 µm, µg/m³.' }),
    ozone: t.exposeFloat('ozone', { nullable: true, description: 'Ozone, µg/m³.' }),
    nitrogenDioxide: t.exposeFloat('nitrogenDioxide', { nullable: true, description: 'Nitrogen dioxide, µg/m³.' }),
    observedAt: t.expose('observedAt', { type: DateTime }),
    freshness: t.expose('freshness', { type: Freshness }),
  }),
});

export const AirQualityResult = builder.unionType('AirQualityResult', {
  types: [AirQuality, UpstreamError],
  resolveType: (result) => (result.kind === 'AirQuality' ? AirQuality : UpstreamError),
});
