// Every fenced block of the README and of every page under docs/ runs here as it is written,
// against `npm run dev:sim` (its simulator, and a throwaway database), or the HTML comment
// on the line before it says why not (test/helpers/doc-markers.ts reads it). A new page is
// walked like the others; what its blocks need is below.
//
// By language:
//   graphql          POSTed to the gateway: the answer has data and no errors
//   sh, bash         run by bash (-e, pipefail) in the repository, with GATHERQL_URL and the
//                    database of the server set; exit 0
//   ts, js           run with tsx; imports of ./client/… are this repository's; exit 0
//   nginx            `nginx -t` on it, inside an http block
//   json             only with a marker: an answer to the block above, or request bodies
//   text, mermaid    figures: not run. A block with no language is refused: say which
// http://127.0.0.1:4000 in a block is the gateway, http://127.0.0.1:PORT a port of the
// simulator. The examples run in the order of the pages (the README first, then docs/ by
// name), on one server, so a page may build on what an earlier one did.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type DevSimProcess, startDevSim } from './helpers/dev-sim-process.js';
import { docBlocks, docPages, type LocalUrls } from './helpers/doc-blocks.js';
import { createDocRunner, type DocRunner, type Ran, run } from './helpers/doc-runner.js';

const PAGES = docPages();

describe('the examples of the README and docs/', () => {
  let devSim: DevSimProcess;
  let dir: string;
  let urls: LocalUrls;
  let runner: DocRunner;
  let banner = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gatherql-docs-'));
    // A file, not :memory:, so that it is seeded with the demo data and commands such as create-admin reach it.
    const databaseUrl = `file:${join(dir, 'gatherql.sqlite')}`;
    devSim = await startDevSim({ DATABASE_URL: databaseUrl });
    // The banner follows the log line startDevSim waits for.
    await vi.waitFor(() => expect(devSim.output()).toMatch(/curl -X POST \S+\/__sim\/reset\n/), { timeout: 30_000, interval: 50 });
    banner = devSim.output();
    const simulator = /forecast (http:\/\/[\d.:]+)/.exec(banner)![1]!;
    urls = { gateway: new URL(devSim.url).origin, simulator };
    runner = createDocRunner({ graphqlUrl: devSim.url, urls, env: { GATHERQL_URL: devSim.url, DATABASE_URL: databaseUrl }, dir });
  }, 60_000);

  afterAll(async () => {
    await devSim?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Every problem of a page's blocks, each with its line. */
  async function problemsOf(page: string, markdown?: string): Promise<string[]> {
    const problems: string[] = [];
    let above: Ran | null = null;
    for (const block of docBlocks(page, markdown)) {
      const outcome = await runner.runBlock(block, above);
      if ('problem' in outcome) problems.push(`${page}:${block.line} (${block.lang || 'no language'}): ${outcome.problem}`);
      above = 'ran' in outcome ? outcome.ran : null;
    }
    return problems;
  }

  it('finds what is wrong in a page: no language, an unknown marker, a reason missing, a failing command, a wrong answer, a bad query', async () => {
    const page = [
      '```\nls\n```',
      '<!-- illustrated: typo -->\n```sh\ntrue\n```',
      '<!-- illustrative: -->\n```sh\ntrue\n```',
      '```sh\nexit 3\n```',
      '```yaml\na: 1\n```',
      '<!-- run with variables {"cities": ["Berlin"]} -->\n```graphql\nquery ($cities: [String!]!) { weather(cities: $cities) { ... on CityWeather { city } } }\n```',
      '<!-- answer to the block above -->\n```json\n{"data": {"weather": [{"city": "Paris"}]}, "extensions": {…}}\n```',
      '```graphql\n{ noSuchField }\n```',
      '<!-- run by test/no-such.test.ts -->\n```ts\n1\n```',
    ].join('\n\n');
    const problems = await problemsOf('made-up.md', page);
    expect(problems).toEqual([
      'made-up.md:1 (no language): a block without a language: name it (`text` for a figure, which is not run)',
      'made-up.md:6 (sh): an unknown marker <!-- illustrated: typo --> (test/helpers/doc-markers.ts lists them)',
      'made-up.md:11 (sh): an illustrative block must say why it is not run',
      expect.stringMatching(/^made-up\.md:15 \(sh\): exit 3:/),
      'made-up.md:19 (yaml): a yaml block runs nowhere: mark it <!-- illustrative: why --> or <!-- run by test/….test.ts -->',
      'made-up.md:29 (json): the answer differs at $.data.weather[0].city: the docs say "Paris", got "Berlin"',
      expect.stringMatching(/^made-up\.md:33 \(graphql\): HTTP 400: .*Cannot query field \\"noSuchField\\"/),
      'made-up.md:38 (ts): test/no-such.test.ts does not exist',
    ]);
  });

  it.each(PAGES)(
    '%s: every block runs as written, or says why not',
    async (page) => {
      expect(await problemsOf(page)).toEqual([]);
    },
    600_000,
  );

  it('the fault demos of the docs and of dev:sim’s banner use cities that no other example asks for, so nothing of them is cached', () => {
    const blocks = PAGES.flatMap((page) => docBlocks(page));
    const demos = [
      ...blocks.filter((block) => block.code.includes('/__sim/faults')),
      { page: 'dev:sim banner', line: 0, lang: 'sh', code: banner, marker: null },
    ];
    const cities = new Set(demos.flatMap((demo) => [...demo.code.matchAll(/"city":\s*"([^"]+)"/g)].map((match) => match[1]!)));
    expect(cities.size).toBeGreaterThan(0);
    const askedElsewhere = blocks
      .filter((block) => !block.code.includes('/__sim/faults'))
      .flatMap((block) => [...cities].filter((city) => block.code.includes(city)).map((city) => `${block.page}:${block.line} asks for ${city}`));
    expect(askedElsewhere).toEqual([]);
  });

  it('the fault demo of dev:sim’s banner shows its faults', async () => {
    const inject = /\n\s*(curl -X POST \S+\/__sim\/faults[\s\S]*?\]')\n/.exec(banner)?.[1];
    const city = /"city":"([^"]+)"/.exec(inject ?? '')?.[1];
    expect(inject && city, banner).toBeTruthy();
    const result = await run('bash', ['-e', '-c', inject!], {});
    expect(result.code, result.stderr).toBe(0);
    try {
      const answer = await runner.send(
        JSON.stringify({
          query: `query ($names: [String!]!) { cities(names: $names) { ... on City {
            weather { __typename ... on WeatherError { code } } airQuality { __typename ... on UpstreamError { code } } } } }`,
          variables: { names: [city] },
        }),
      );
      expect(JSON.parse(answer.text).data.cities).toEqual([
        { weather: { __typename: 'WeatherError', code: 'UPSTREAM_BAD_RESPONSE' }, airQuality: { __typename: 'UpstreamError', code: 'UPSTREAM_UNAVAILABLE' } },
      ]);
    } finally {
      await fetch(`${urls.simulator}/__sim/reset`, { method: 'POST' });
    }
  });
});
