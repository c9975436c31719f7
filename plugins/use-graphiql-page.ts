import { type Plugin, shouldRenderGraphiQL } from 'graphql-yoga';

export interface GraphiQLPageOptions {
  /** The page title. */
  title: string;
  /** The query the editor opens with. */
  defaultQuery: string;
}

/**
 * Serves GraphiQL to a browser's GET of the GraphQL endpoint, with every asset inline (no
 * CDN). The page is about 9 MB. Yoga's own GraphiQL renders it afresh for every request and
 * answers before any plugin of ours, so each page view cost a render, 20-odd MB of memory
 * held until the client had read it all (a client that never reads holds it for good), and
 * no rate limit. Here it is rendered once, every response sends that one buffer, and the
 * page is served after the rate limit like any other request to the endpoint. Give Yoga
 * `graphiql: false` and list this plugin after useRateLimit. The renderer is loaded on the
 * first page view: its inlined bundle costs about 80 MB in every process, and a server
 * behind a load balancer may never show the page.
 */
export function useGraphiQLPage(options: GraphiQLPageOptions): Plugin {
  let page: Promise<Uint8Array<ArrayBuffer>> | undefined;
  let endpoint = '/graphql';
  return {
    onYogaInit({ yoga }) {
      endpoint = yoga.graphqlEndpoint;
    },
    // Synchronous for every other request: an async hook costs each request a microtask turn.
    onRequest({ request, url, fetchAPI, endResponse }) {
      if (url.pathname !== endpoint || !shouldRenderGraphiQL(request)) return;
      page ??= import('@graphql-yoga/render-graphiql').then(({ renderGraphiQL }) =>
        new TextEncoder().encode(renderGraphiQL({ title: options.title, defaultQuery: options.defaultQuery })),
      );
      return page.then((body) =>
        endResponse(new fetchAPI.Response(body, { status: 200, headers: { 'content-type': 'text/html; charset=utf-8' } })),
      );
    },
  };
}
