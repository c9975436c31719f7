/**
 * POSTs one operation to a gateway's GraphQL URL, as `token`'s user when given, and answers its
 * `data`; an answer with errors throws with the status and the errors. For tests and benchmarks
 * that drive a gateway process over HTTP.
 */
export async function postOperation(url: string, query: string, variables: Record<string, unknown>, token?: string): Promise<any> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: any; errors?: unknown[] };
  if (body.errors) throw new Error(`${response.status}: ${JSON.stringify(body.errors)}`);
  return body.data;
}
