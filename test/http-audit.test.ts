import { type AuditResult, serverAudits } from 'graphql-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ListeningGateway, startListeningGateway } from './helpers/listening-gateway.js';

describe('the GraphQL-over-HTTP audit (graphql-http serverAudits)', () => {
  let gateway: ListeningGateway;
  let results: AuditResult[];
  beforeAll(async () => {
    gateway = await startListeningGateway();
    results = [];
    // One at a time: the audits are requests to one small server, and their order is the spec's.
    for (const audit of serverAudits({ url: gateway.url })) results.push(await audit.fn());
  });
  afterAll(() => gateway?.close());

  it('runs audits of every requirement level', () => {
    const levels = new Set(results.map((result) => result.name.split(' ')[0]));
    expect([...levels].sort()).toEqual(['MAY', 'MUST', 'SHOULD']);
  });

  it.each(['MUST', 'SHOULD'])('passes every %s audit', (level) => {
    const audited = results.filter((result) => result.name.startsWith(`${level} `));
    expect(audited.length).toBeGreaterThan(0);
    const failing = audited
      .filter((result) => result.status !== 'ok')
      .map((result) => `${result.id} ${result.name}: ${'reason' in result ? result.reason : ''}`);
    expect(failing, `failing ${level} audits:\n${failing.join('\n')}`).toEqual([]);
  });
});
