import { z } from 'zod';

/**
 * Open-Meteo's documented response shapes, reduced to the fields gatherql reads. Unknown
 * fields are ignored, so the API may grow; a missing or mistyped field we read is a bad response.
 */
export const geocodingResponse = z.object({
  // No `results` key at all is how the API says "nothing found".
  results: z
    .array(
      z.object({
        name: z.string().min(1),
        latitude: z.number().min(-90).max(90),
        longitude: z.number().min(-180).max(180),
        // Empty fields are left out of the JSON entirely (protobuf's JSON form): all optional.
        country: z.string().optional(),
        country_code: z
          .string()
          .regex(/^[A-Za-z]{2}$/, 'expected an ISO 3166-1 alpha-2 code')
          .optional(),
        timezone: z.string().optional(),
      }),
    )
    .optional(),
});

/** Local time of the location's timezone (GMT unless asked otherwise), minutes precision. */
const localTime = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/, 'expected a local ISO time such as 2026-11-25T09:30')
  .refine((time) => !Number.isNaN(Date.parse(`${time}Z`)), 'expected a real date and time');

export const forecastLocation = z.object({
  utc_offset_seconds: z.number().int().optional(),
  current: z.object({
    time: localTime,
    temperature_2m: z.number(),
    relative_humidity_2m: z.number().nullable(),
    apparent_temperature: z.number().nullable(),
    weather_code: z.number().int().min(0).max(99),
    wind_speed_10m: z.number(),
  }),
});

export type ForecastLocation = z.infer<typeof forecastLocation>;

/** A value the air-quality model may not have for a place: null, never absent. */
const reading = z.number().min(0).nullable();

export const airQualityLocation = z.object({
  utc_offset_seconds: z.number().int().optional(),
  current: z.object({
    time: localTime,
    us_aqi: reading,
    european_aqi: reading,
    pm2_5: reading,
    pm10: reading,
    ozone: reading,
    nitrogen_dioxide: reading,
  }),
});

export type AirQualityLocation = z.infer<typeof airQualityLocation>;

/** The body of an Open-Meteo error answer. */
export const errorBody = z.object({ error: z.literal(true), reason: z.string() });

/** One issue of a failed parse, in words fit for a log line: where, and what was expected. */
export function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'unexpected shape';
  const at = issue.path.length ? issue.path.join('.') : 'body';
  return `${at}: ${issue.message}`;
}
