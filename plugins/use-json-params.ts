import { createGraphQLError, type Plugin } from 'graphql-yoga';

/**
 * A GET query string or a form-encoded body carries `variables` and `extensions` as JSON
 * text, which Yoga parses with a bare JSON.parse: text that is not JSON would surface as an
 * unexpected error, HTTP 500. It is the client's mistake, so it gets what a malformed JSON
 * body gets: 400 with code BAD_REQUEST. Other errors of the parser pass through untouched.
 */
export function useJsonParams(): Plugin {
  return {
    onRequestParse({ requestParser, setRequestParser }) {
      if (!requestParser) return;
      const parse = requestParser;
      setRequestParser(async (request) => {
        try {
          return await parse(request);
        } catch (error) {
          // Only JSON.parse of a parameter throws a SyntaxError here; the body parsers catch their own.
          if (!(error instanceof SyntaxError)) throw error;
          throw createGraphQLError('The "variables" and "extensions" parameters must be JSON objects', {
            extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
          });
        }
      });
    },
  };
}
