import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium, type Page, type Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { counterValue } from '../metrics.js';
import { as } from './helpers/auth.js';
import { type DevSimProcess, startDevSim } from './helpers/dev-sim-process.js';
import { type ListeningGateway, startListeningGateway } from './helpers/listening-gateway.js';
import { simulatorEnv, TEST_POLICY } from './helpers/weather.js';
import { startSimulator } from '../simulator/simulator.js';

const CHROMIUM = '/usr/bin/chromium';
// The Debian package's flags for a container: no sandbox (root), no GPU, and nothing that
// phones home (updates, sync, QUIC probes), so the page's own requests are all there is.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const QUERY = '{ posts(first: 2) { edges { node { title } } } }';
const CITIES =
  '{ cities(names: ["Paris", "Atlantis"]) { __typename ... on City { name country { ... on Country { officialName flag } } airQuality { ... on AirQuality { category } } } ... on CityError { code } } }';
const DEFERRED_CITIES =
  'query DeferredCities { cities(names: ["Paris", "Tokyo"]) { ... on City { name location { country } ... @defer { weather { ... on CityWeather { conditions } } } } } }';
const screenshotDir = fileURLToPath(new URL('../test-results', import.meta.url));
const available = existsSync(CHROMIUM);

if (!available) {
  if (process.env.CI) {
    it('has Chromium under CI', () => {
      throw new Error(`CI=true but ${CHROMIUM} is missing: install the chromium package (.ci/run does)`);
    });
  } else {
    console.warn(`\n[gatherql] ${CHROMIUM} not found: the GraphiQL browser test is SKIPPED (apt-get install chromium)\n`);
  }
}

describe.skipIf(!available)('GraphiQL in headless Chromium', () => {
  let gateway: ListeningGateway;
  let context: BrowserContext;
  let profile: string;
  /** Every URL the browser asked for that is not on the gateway's loopback host. */
  const external: string[] = [];

  beforeAll(async () => {
    gateway = await startListeningGateway({}, { seed: true });
    profile = mkdtempSync(join(tmpdir(), 'gatherql-chromium-'));
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    // Recorded, then refused: the assertion below reports them, and the test never goes online.
    await context.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (url.hostname === '127.0.0.1') return route.continue();
      external.push(url.href);
      return route.abort();
    });
  });
  afterAll(async () => {
    await context?.close();
    await gateway?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  /**
   * Opens GraphiQL at `url`, types `query` (and `headers`, JSON, into its headers editor), runs
   * it, and returns the result pane's text once it holds `expected`; `meanwhile` runs once the
   * query has been started.
   */
  async function runInGraphiQL(
    url: string,
    query: string,
    expected: string,
    screenshot: string,
    options: { headers?: string; meanwhile?: () => Promise<void>; onAnswer?: (body: string) => void } = {},
  ): Promise<string> {
    const page = await context.newPage();
    // What the gateway answered the page, as sent: the result pane renders only the lines in view.
    page.on('response', (response) => {
      if (options.onAnswer && response.request().method() === 'POST' && response.url().startsWith(url)) {
        response.text().then(options.onAnswer, () => {});
      }
    });
    page.on('request', (request) => {
      const requested = new URL(request.url());
      if (!['data:', 'blob:', 'about:'].includes(requested.protocol) && requested.hostname !== '127.0.0.1') external.push(requested.href);
    });
    try {
      await page.goto(url);
      // Checked here too, because a page whose scripts were refused fails below less clearly.
      expect([...new Set(external)], 'requests that left 127.0.0.1').toEqual([]);
      await typeQuery(page, query);
      if (options.headers) await typeHeaders(page, options.headers);
      await page.locator('.graphiql-execute-button').click();
      await options.meanwhile?.();
      // The result pane is an editor too: it renders spaces as no-break spaces.
      const resultText = async () => ((await page.locator('.graphiql-response').textContent()) ?? '').replace(/\u00a0/g, ' ');
      await expect.poll(resultText, { timeout: 20_000 }).toContain(expected);
      expect([...new Set(external)], 'requests that left 127.0.0.1').toEqual([]);
      return await resultText();
    } finally {
      // Kept whether the test passed or not: on a failure it shows what the page looked like.
      mkdirSync(screenshotDir, { recursive: true });
      await page.screenshot({ path: join(screenshotDir, screenshot), fullPage: true });
    }
  }

  it('runs a query typed into the editor and shows the result, with no request off the machine', async () => {
    const text = await runInGraphiQL(gateway.url, QUERY, 'On GraphQL, part 5', 'graphiql.png');
    expect(text).toContain('On SQL, part 5');
    // Two posts asked for, two shown: the editor held exactly the query that was typed.
    expect(text.match(/"title"/g)).toHaveLength(2);
  }, 60_000);

  it('runs a subscription and shows each event as it comes, over SSE', async () => {
    const types: string[] = [];
    const record = (response: Response) => void types.push(response.headers()['content-type'] ?? '');
    context.on('response', record);
    const publish = async (title: string) => {
      const author = await gateway.database.db.selectFrom('users').select('id').where('username', '=', 'ada').executeTakeFirstOrThrow();
      const answer = await fetch(gateway.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(await as(author.id)) },
        body: JSON.stringify({ query: `mutation { createPost(input: { title: "${title}", content: "words", published: true }) { __typename } }` }),
      });
      expect(answer.status).toBe(200);
    };
    try {
      const text = await runInGraphiQL(gateway.url, 'subscription { postPublished { title } }', 'live from the browser, 2', 'graphiql-subscription.png', {
        meanwhile: async () => {
          await expect.poll(() => counterValue(gateway.metrics.subscriptionsOpen, { field: 'postPublished' }), { timeout: 20_000 }).toBe(1);
          await publish('live from the browser, 1');
          await publish('live from the browser, 2');
        },
      });
      // The pane shows the latest event.
      expect(text).not.toContain('live from the browser, 1');
    } finally {
      context.off('response', record);
    }
    expect(types).toContain('text/event-stream');
  }, 60_000);

  it('says why it cannot run a query on a server that runs trusted documents only', async () => {
    const only = await startListeningGateway({ PERSISTED_DOCUMENTS: 'only' }, { seed: true });
    try {
      const text = await runInGraphiQL(only.url, QUERY, 'PERSISTED_QUERY_ONLY', 'graphiql-trusted-only.png');
      // The pane wraps long lines.
      expect(text.replace(/\s+/g, ' ')).toContain('This server runs trusted documents only (PERSISTED_DOCUMENTS=only)');
    } finally {
      await only.close();
    }
  }, 60_000);

  it('starts a city report as a signed-in user and reads its rows', async () => {
    const sim = await startSimulator();
    const signedIn = await startListeningGateway(simulatorEnv(sim), { seed: true, sources: { policy: TEST_POLICY } });
    try {
      const post = async (query: string, variables: Record<string, unknown>, headers: Record<string, string> = {}) =>
        (await (
          await fetch(signedIn.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query, variables }) })
        ).json()) as any;
      const login = await post('mutation ($u: String!, $p: String!) { logIn(username: $u, password: $p) { ... on AuthPayload { token } } }', {
        u: 'ada',
        p: 'gatherql-demo',
      });
      const headers = JSON.stringify({ Authorization: `Bearer ${login.data.logIn.token}` });
      const started = await runInGraphiQL(
        signedIn.url,
        'mutation StartReport { startCityReport(input: { names: ["Paris", "Atlantis"], parts: [WEATHER] }) { __typename ... on CityReport { id state total } } }',
        '"total": 2',
        'graphiql-start-report.png',
        { headers },
      );
      const id = /"id": "([^"]+)"/.exec(started)![1]!;
      const read = `query ReadReport { cityReport(id: "${id}") { state rows { edges { node { position result { __typename ... on City { name } ... on CityError { code } } } } } } }`;
      await expect
        .poll(async () => (await post(read, {}, { authorization: `Bearer ${login.data.logIn.token}` })).data.cityReport.state, { timeout: 30_000 })
        .toBe('SUCCEEDED');
      const answers: string[] = [];
      await runInGraphiQL(signedIn.url, read, 'CITY_NOT_FOUND', 'graphiql-read-report.png', { headers, onAnswer: (body) => answers.push(body) });
      await expect.poll(() => answers.length, { timeout: 10_000 }).toBeGreaterThan(0);
      const answer = JSON.parse(answers.at(-1)!) as { data: { cityReport: { rows: { edges: { node: unknown }[] } } } };
      expect(answer.data.cityReport.rows.edges.map((edge) => edge.node)).toEqual([
        { position: 0, result: { __typename: 'City', name: 'Paris' } },
        { position: 1, result: { __typename: 'CityError', code: 'CITY_NOT_FOUND' } },
      ]);
    } finally {
      await signedIn.close();
      await sim.close();
    }
  }, 90_000);

  describe('against npm run dev:sim, every upstream answered by the local simulator', () => {
    let devSim: DevSimProcess;
    beforeAll(async () => {
      devSim = await startDevSim();
    });
    afterAll(() => devSim?.stop());

    it('runs a cities query', async () => {
      const text = await runInGraphiQL(devSim.url, CITIES, 'French Republic', 'graphiql-cities.png');
      expect(text).toContain('"flag": "🇫🇷"');
      expect(text).toContain('"category"');
      expect(text).toContain('"code": "CITY_NOT_FOUND"');
    }, 90_000);

    it('runs a cities query with a deferred part and shows the merged answer', async () => {
      // How the answers reached the page: the deferred query's must come in parts.
      const types: string[] = [];
      const record = (response: Response) => void types.push(response.headers()['content-type'] ?? '');
      context.on('response', record);
      let text: string;
      try {
        text = await runInGraphiQL(devSim.url, DEFERRED_CITIES, '"conditions"', 'graphiql-deferred-cities.png');
      } finally {
        context.off('response', record);
      }
      expect(types.some((type) => /^(multipart\/mixed|text\/event-stream)/.test(type))).toBe(true);
      // The first part's fields and the deferred ones, merged into one answer for each city.
      const answer = JSON.parse(text.slice(text.indexOf('{'))) as { data: { cities: Record<string, unknown>[] } };
      expect(answer.data.cities).toEqual([
        { name: 'Paris', location: { country: 'France' }, weather: { conditions: expect.any(String) } },
        { name: 'Tokyo', location: { country: 'Japan' }, weather: { conditions: expect.any(String) } },
      ]);
    }, 90_000);
  });
});

/** Opens the headers editor and replaces its text with `headers`, and waits until GraphiQL has taken them in. */
async function typeHeaders(page: Page, headers: string): Promise<void> {
  await page.locator('.graphiql-editor-tools [data-name="headers"]').click();
  const editor = page.locator('.graphiql-editor-tool .monaco-editor').filter({ visible: true }).first();
  await editor.waitFor({ state: 'visible', timeout: 20_000 });
  await editor.click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(headers);
  await expect.poll(() => page.evaluate(() => localStorage.getItem('graphiql:tabState') ?? ''), { timeout: 10_000 }).toContain(JSON.stringify(headers));
}

/** Replaces the editor's text with `query`, and waits until GraphiQL has taken it in. */
async function typeQuery(page: Page, query: string): Promise<void> {
  const editor = page.locator('.graphiql-query-editor .monaco-editor').first();
  await editor.waitFor({ state: 'visible', timeout: 20_000 });
  await editor.click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.press('Delete');
  // insertText types no keys, so the editor's auto-closing brackets stay out of the way.
  await page.keyboard.insertText(query);
  // GraphiQL takes an edit in after a debounce, and until then would run the old query's
  // operation name against the new text. Its saved tab state shows when it has caught up.
  await expect.poll(() => page.evaluate(() => localStorage.getItem('graphiql:tabState') ?? ''), { timeout: 10_000 }).toContain(JSON.stringify(query));
}
