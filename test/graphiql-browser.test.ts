import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ListeningGateway, startListeningGateway } from './helpers/listening-gateway.js';

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

  it('runs a query typed into the editor and shows the result, with no request off the machine', async () => {
    const page = await context.newPage();
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (!['data:', 'blob:', 'about:'].includes(url.protocol) && url.hostname !== '127.0.0.1') external.push(url.href);
    });
    try {
      await page.goto(gateway.url);
      // Checked here too, because a page whose scripts were refused fails below less clearly.
      expect([...new Set(external)], 'requests that left 127.0.0.1').toEqual([]);

      const editor = page.locator('.graphiql-query-editor .monaco-editor').first();
      await editor.waitFor({ state: 'visible', timeout: 20_000 });
      await editor.click();
      await page.keyboard.press('ControlOrMeta+A');
      await page.keyboard.press('Delete');
      // insertText types no keys, so the editor's auto-closing brackets stay out of the way.
      await page.keyboard.insertText(QUERY);
      // GraphiQL takes an edit in after a debounce, and until then would run the old query's
      // operation name against the new text. Its saved tab state shows when it has caught up.
      await expect
        .poll(() => page.evaluate(() => localStorage.getItem('graphiql:tabState') ?? ''), { timeout: 10_000 })
        .toContain(JSON.stringify(QUERY));
      await page.locator('.graphiql-execute-button').click();

      // The result pane is an editor too: it renders spaces as no-break spaces.
      const resultText = async () => (await page.locator('.graphiql-response').innerText()).replace(/\u00a0/g, ' ');
      await expect.poll(resultText, { timeout: 20_000 }).toContain('On GraphQL, part 5');
      const text = await resultText();
      expect(text).toContain('On SQL, part 5');
      // Two posts asked for, two shown: the editor held exactly the query that was typed.
      expect(text.match(/"title"/g)).toHaveLength(2);
      expect([...new Set(external)], 'requests that left 127.0.0.1').toEqual([]);
    } finally {
      // Kept whether the test passed or not: on a failure it shows what the page looked like.
      mkdirSync(screenshotDir, { recursive: true });
      await page.screenshot({ path: join(screenshotDir, 'graphiql.png'), fullPage: true });
    }
  }, 60_000);
});
