// What the OTEL_* variables say about tracing, as config.ts reads them. Nothing here loads
// OpenTelemetry: with tracing off the gateway never imports a module of it.

/** The samplers of OTEL_TRACES_SAMPLER that the SDK offers, by their standard names. */
export const SAMPLERS = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'] as const;
export type SamplerName = (typeof SAMPLERS)[number];

/** The OTLP/HTTP encodings of OTEL_EXPORTER_OTLP_PROTOCOL that the gateway can send (not grpc). */
export const PROTOCOLS = ['http/protobuf', 'http/json'] as const;
export type OtlpProtocol = (typeof PROTOCOLS)[number];

/** Tracing as configured: present only when an OTLP endpoint is set and the SDK is not disabled. */
export interface TracingSettings {
  /** Where spans are sent: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as given, or OTEL_EXPORTER_OTLP_ENDPOINT + `/v1/traces`. */
  url: string;
  protocol: OtlpProtocol;
  /** OTEL_SERVICE_NAME; null leaves it to OTEL_RESOURCE_ATTRIBUTES' `service.name`, else `gatherql`. */
  serviceName: string | null;
  sampler: SamplerName;
  /** OTEL_TRACES_SAMPLER_ARG: the share of traces kept by the ratio samplers (0-1). */
  samplerRatio: number;
}

/** The service name when neither OTEL_SERVICE_NAME nor OTEL_RESOURCE_ATTRIBUTES names one. */
export const DEFAULT_SERVICE_NAME = 'gatherql';

/** The spec's signal path, appended to the generic OTEL_EXPORTER_OTLP_ENDPOINT (never to the traces one). */
export function tracesUrl(endpoint: string | undefined, tracesEndpoint: string | undefined): string | null {
  if (tracesEndpoint) return tracesEndpoint;
  if (endpoint) return `${endpoint.replace(/\/+$/, '')}/v1/traces`;
  return null;
}
