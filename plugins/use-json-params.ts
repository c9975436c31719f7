import { createGraphQLError, type Plugin } from 'graphql-yoga';

const badRequest = (message: string) => createGraphQLError(message, { extensions: { code: 'BAD_REQUEST', http: { status: 400 } } });

/** What a POST in a media type Yoga does not read gets: a 415 that says which ones it does, rather than an empty body. */
const unsupportedMediaType = (contentType: string | null) =>
  createGraphQLError(`POST the operation as JSON (content-type: application/json); this body is ${contentType ?? 'of no content type'}`, {
    extensions: { code: 'UNSUPPORTED_MEDIA_TYPE', http: { status: 415 } },
  });

/**
 * Makes sure that what reaches the other plugins is the request parameters' documented
 * shape, so that a malformed request is the client's 400 rather than our 500:
 * - A GET query string or a form-encoded body carries `variables` and `extensions` as JSON
 *   text, which Yoga parses with a bare JSON.parse; text that is not JSON would surface as
 *   an unexpected error. It gets what a malformed JSON body gets: 400 BAD_REQUEST.
 * - A batch is an array of operations, and any entry may be anything (`[null]`, `[1]`);
 *   plugins that read each entry's `query` would throw on such an entry.
 * - A POST in a media type no parser reads (text/plain, XML) gets a 415 that says so.
 */
export function useJsonParams(): Plugin {
  return {
    onRequestParse({ request, requestParser, setRequestParser }) {
      if (!requestParser) {
        if (request.method === 'POST') throw unsupportedMediaType(request.headers.get('content-type'));
        return;
      }
      const parse = requestParser;
      setRequestParser(async (request) => {
        let params: Awaited<ReturnType<typeof parse>>;
        try {
          params = await parse(request);
        } catch (error) {
          // Only JSON.parse of a parameter throws a SyntaxError here; the body parsers catch their own.
          if (!(error instanceof SyntaxError)) throw error;
          throw badRequest('The "variables" and "extensions" parameters must be JSON objects');
        }
        if (Array.isArray(params) && params.some((entry) => typeof entry !== 'object' || entry === null || Array.isArray(entry))) {
          throw badRequest('Each operation of a batch must be a JSON object');
        }
        return params;
      });
    },
  };
}
