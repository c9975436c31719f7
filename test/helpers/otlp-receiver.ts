import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A span as the receiver decoded it from OTLP/HTTP JSON. */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** null for the root of a trace, or of the part of it this service sent. */
  parentSpanId: string | null;
  name: string;
  kind: 'internal' | 'server' | 'client' | 'producer' | 'consumer' | 'unspecified';
  attributes: Record<string, unknown>;
  events: string[];
  links: { traceId: string; spanId: string }[];
  status: 'unset' | 'ok' | 'error';
  /** The attributes of the resource that sent it (service.name…). */
  resource: Record<string, unknown>;
}

/** One export request, as it arrived. */
export interface ExportRequest {
  path: string;
  contentType: string;
  body: Buffer;
}

export interface OtlpReceiver {
  /** For OTEL_EXPORTER_OTLP_ENDPOINT, e.g. http://127.0.0.1:41234 (the exporter adds /v1/traces). */
  url: string;
  /** Every JSON span received so far, in arrival order. */
  spans(): ReceivedSpan[];
  /** Every export request received so far, whatever its encoding. */
  requests(): ExportRequest[];
  close(): Promise<void>;
}

const KINDS = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'] as const;
const STATUSES = ['unset', 'ok', 'error'] as const;

/**
 * A local OTLP/HTTP trace receiver on 127.0.0.1, as a collector would be: it answers every
 * export with 200 and keeps what it got. JSON bodies are decoded into spans; protobuf ones are
 * only kept as bytes.
 */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const requests: ExportRequest[] = [];
  const spans: ReceivedSpan[] = [];
  const server = createServer((req, res) => {
    void readBody(req).then((body) => {
      const contentType = req.headers['content-type'] ?? '';
      requests.push({ path: req.url ?? '', contentType, body });
      if (contentType.startsWith('application/json')) spans.push(...decode(JSON.parse(body.toString('utf8'))));
      res.writeHead(200, { 'content-type': contentType.startsWith('application/json') ? 'application/json' : 'application/x-protobuf' });
      res.end(contentType.startsWith('application/json') ? '{}' : '');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans: () => [...spans],
    requests: () => [...requests],
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

interface JsonAttribute {
  key: string;
  value: JsonValue;
}
interface JsonValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: number;
  arrayValue?: { values?: JsonValue[] };
}

/** OTLP/JSON (ExportTraceServiceRequest) into flat spans. */
function decode(body: any): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const resourceSpans of body.resourceSpans ?? []) {
    const resource = attributes(resourceSpans.resource?.attributes);
    for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
      for (const span of scopeSpans.spans ?? []) {
        out.push({
          traceId: span.traceId,
          spanId: span.spanId,
          parentSpanId: span.parentSpanId || null,
          name: span.name,
          kind: KINDS[span.kind ?? 0] ?? 'unspecified',
          attributes: attributes(span.attributes),
          events: (span.events ?? []).map((event: { name: string }) => event.name),
          links: (span.links ?? []).map((link: { traceId: string; spanId: string }) => ({ traceId: link.traceId, spanId: link.spanId })),
          status: STATUSES[span.status?.code ?? 0] ?? 'unset',
          resource,
        });
      }
    }
  }
  return out;
}

function attributes(list: JsonAttribute[] | undefined): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map(({ key, value }) => [key, attributeValue(value)]));
}

function attributeValue(value: JsonValue): unknown {
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.arrayValue) return (value.arrayValue.values ?? []).map(attributeValue);
  return undefined;
}
