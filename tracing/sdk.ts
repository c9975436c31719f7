import { ROOT_CONTEXT } from '@opentelemetry/api';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  type ReadableSpan,
  type Sampler,
  type SpanExporter,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import type { Logger } from 'pino';
import { createRequestTrace } from './request-trace.js';
import { DEFAULT_SERVICE_NAME, type TracingSettings } from './settings.js';
import type { Tracing, TracingOptions } from './types.js';
import { startLookUp } from './upstream-trace.js';
// A JSON import rather than a read at run time: a bundle (scripts/build.mjs) then carries the
// version in itself, wherever it is put.
import packageJson from '../package.json' with { type: 'json' };

const { version } = packageJson;

/**
 * The SDK as the settings say: a provider of its own (nothing global is registered, so two
 * gateways in one process keep apart), the sampler of OTEL_TRACES_SAMPLER, a batch processor
 * (OTEL_BSP_* apply) and the OTLP/HTTP exporter of the chosen encoding, which also reads the
 * exporter's own OTEL_EXPORTER_OTLP_* variables (headers, timeout, compression, certificates).
 */
export async function createTracing(settings: TracingSettings, options: TracingOptions): Promise<Tracing> {
  const exporter = warnOnFailure(await exporterFor(settings), options.logger);
  const provider = new BasicTracerProvider({
    resource: resourceFor(settings),
    sampler: samplerFor(settings),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('gatherql', version);
  const database = options.dialect === 'postgres' ? 'postgresql' : 'sqlite';
  let stopped: Promise<void> | undefined;
  return {
    request: (request) => createRequestTrace(tracer, request, database),
    background: { lookUp: (cache, key) => startLookUp(tracer, ROOT_CONTEXT, cache, key) },
    flush: () => provider.forceFlush(),
    // A collector that is down must not fail the gateway's close: what could not be sent is lost, and said so.
    shutdown: () =>
      (stopped ??= provider.shutdown().catch((error: unknown) => {
        options.logger.warn({ error: (error as Error).message }, 'tracing: the last spans could not be sent to the OTLP endpoint and were dropped');
      })),
  };
}

/** Only the exporter of the chosen encoding is loaded. */
async function exporterFor({ protocol, url }: TracingSettings): Promise<SpanExporter> {
  if (protocol === 'http/json') {
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
    return new OTLPTraceExporter({ url });
  }
  const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-proto');
  return new OTLPTraceExporter({ url });
}

/** OTEL_SERVICE_NAME first, then `service.name` in OTEL_RESOURCE_ATTRIBUTES, then `gatherql`. */
function resourceFor(settings: TracingSettings) {
  const fromEnvironment = detectResources({ detectors: [envDetector] });
  const serviceName = settings.serviceName ?? (fromEnvironment.attributes[ATTR_SERVICE_NAME] as string | undefined) ?? DEFAULT_SERVICE_NAME;
  return defaultResource()
    .merge(fromEnvironment)
    .merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: serviceName, [ATTR_SERVICE_VERSION]: version }));
}

function samplerFor({ sampler, samplerRatio }: TracingSettings): Sampler {
  switch (sampler) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(samplerRatio);
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(samplerRatio) });
  }
}

/** Spans that cannot be sent are dropped: the log says so, at most once a minute, rather than never. */
function warnOnFailure(exporter: SpanExporter, logger: Logger): SpanExporter {
  let lastWarning = Number.NEGATIVE_INFINITY;
  return {
    export(spans: ReadableSpan[], done: (result: ExportResult) => void) {
      exporter.export(spans, (result) => {
        if (result.code !== ExportResultCode.SUCCESS && Date.now() - lastWarning >= 60_000) {
          lastWarning = Date.now();
          logger.warn({ spans: spans.length, error: result.error?.message }, 'tracing: spans could not be sent to the OTLP endpoint and were dropped');
        }
        done(result);
      });
    },
    shutdown: () => exporter.shutdown(),
    forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve(),
  };
}
