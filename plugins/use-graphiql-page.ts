import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { type Plugin, shouldRenderGraphiQL } from 'graphql-yoga';

export interface GraphiQLPageOptions {
  /** The page title. */
  title: string;
  /** The query the editor opens with. */
  defaultQuery: string;
}

/**
 * Serves GraphiQL to a browser's GET of the GraphQL endpoint, with every asset inline (no
 * CDN). The page is about 9 MB, and 1.9 MB brotli-compressed (2.4 MB gzipped), which is
 * what browsers get. Yoga's own GraphiQL renders it afresh for every request and
 * answers before any plugin of ours, so each page view cost a render and 20-odd MB of memory
 * held until the client had read it all (a client that never reads holds it for good). Here
 * it is rendered (and compressed) once, and every response sends one of those buffers: a page
 * view costs what a static file does, so it is not an operation and spends nothing of the
 * rate limit (list this plugin before useRateLimit; the schema query GraphiQL then sends is an
 * operation like any other). Give Yoga `graphiql: false`. The renderer is loaded on the first
 * page view: its inlined bundle costs about 80 MB in every process, and a server behind a
 * load balancer may never show the page.
 */
export function useGraphiQLPage(options: GraphiQLPageOptions): Plugin {
  let page: Promise<Uint8Array> | undefined;
  // Each encoding is made once, on the first view that asks for it, off the event loop.
  const encoded = new Map<PageEncoding, Promise<Uint8Array>>();
  const pageIn = (encoding: PageEncoding): Promise<Uint8Array> => {
    page ??= import('@graphql-yoga/render-graphiql').then(({ renderGraphiQL }) =>
      new TextEncoder().encode(renderGraphiQL({ title: options.title, defaultQuery: options.defaultQuery })),
    );
    if (encoding === 'identity') return page;
    let body = encoded.get(encoding);
    if (!body) {
      body = page.then((plain) => (encoding === 'br' ? brotli(plain) : gzip(plain)));
      encoded.set(encoding, body);
    }
    return body;
  };
  let endpoint = '/graphql';
  return {
    onYogaInit({ yoga }) {
      endpoint = yoga.graphqlEndpoint;
    },
    // Synchronous for every other request: an async hook costs each request a microtask turn.
    onRequest({ request, url, fetchAPI, endResponse }) {
      if (url.pathname !== endpoint || !shouldRenderGraphiQL(request)) return;
      const encoding = pageEncodingFor(request.headers.get('accept-encoding'));
      const headers: Record<string, string> = { 'content-type': 'text/html; charset=utf-8', vary: 'Accept-Encoding' };
      if (encoding !== 'identity') headers['content-encoding'] = encoding;
      return pageIn(encoding).then((body) => endResponse(new fetchAPI.Response(body as Uint8Array<ArrayBuffer>, { status: 200, headers })));
    },
  };
}

export type PageEncoding = 'br' | 'gzip' | 'identity';

const brotliCompress = promisify(zlib.brotliCompress);
const gzipCompress = promisify(zlib.gzip);
// Quality 9 rather than brotli's 11: nearly the same size (about 1.9 of 9 MB) in a tenth of the time.
const brotli = (plain: Uint8Array) => brotliCompress(plain, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 9 } });
const gzip = (plain: Uint8Array) => gzipCompress(plain);

/**
 * The encoding to send the page in, from an Accept-Encoding header: brotli, else gzip, when
 * the client accepts it (a q of 0 refuses; `*` accepts both), else none.
 */
export function pageEncodingFor(acceptEncoding: string | null): PageEncoding {
  const accepted = new Map<string, number>();
  for (const part of (acceptEncoding ?? '').split(',')) {
    const [name = '', ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((param) => /^\s*q=([0-9.]+)\s*$/.exec(param)?.[1]).find((value) => value !== undefined);
    if (name) accepted.set(name.trim(), q === undefined ? 1 : Number(q));
  }
  const acceptable = (name: string) => (accepted.get(name) ?? accepted.get('*') ?? 0) > 0;
  if (acceptable('br')) return 'br';
  if (acceptable('gzip')) return 'gzip';
  return 'identity';
}
