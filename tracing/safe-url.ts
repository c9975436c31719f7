/**
 * Query parameters whose values are credentials somewhere (API keys, tokens, signatures):
 * their values never reach a span. Compared in lower case, without `-` and `_`.
 */
const SECRET_PARAMETERS = new Set([
  'key',
  'apikey',
  'token',
  'accesstoken',
  'authtoken',
  'auth',
  'secret',
  'clientsecret',
  'password',
  'pass',
  'sig',
  'signature',
  'xgoogsignature',
  'awsaccesskeyid',
  'code',
]);

/**
 * A URL as a span may show it: without user name and password, and with the value of every
 * parameter that may be a credential replaced by `REDACTED`, as OpenTelemetry's HTTP
 * conventions ask for `url.full`. The API key of a source travels in a header, which no span
 * records; this covers a base URL or a mirror that puts one in the URL.
 */
export function safeUrl(url: URL): string {
  const copy = new URL(url);
  if (copy.username || copy.password) {
    copy.username = 'REDACTED';
    copy.password = 'REDACTED';
  }
  for (const name of new Set(copy.searchParams.keys())) {
    if (SECRET_PARAMETERS.has(name.toLowerCase().replace(/[-_]/g, ''))) copy.searchParams.set(name, 'REDACTED');
  }
  return copy.toString();
}
