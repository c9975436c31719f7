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
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type DevSimProcess, startDevSim } from './helpers/dev-sim-process.js';
import { type DocBlock, docBlocks, docPages, type LocalUrls, withLocalUrls } from './helpers/doc-blocks.js';
import { difference, readExpected, readMarker } from './helpers/doc-markers.js';
import { NGINX } from './services/nginx.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const PAGES = docPages();
const DEMO_PASSWORD = 'gatherql-demo';
/** Only against a hang: no verdict depends on it. */
const HANG_MS = 180_000;

const SHELL = new Set(['sh', 'bash', 'shell']);
const SCRIPT = new Set(['ts', 'typescript', 'js', 'javascript']);
const FIGURE = new Set(['text', 'mermaid']);

interface Ran {
  /** What the block printed or answered, for an answer block after it. */
  output: string;
}

/** Runs a program to its end; resolves with its exit code and what it printed on stdout and stderr. */
function run(command: string, args: string[], env: Record<string, string>, input?: string) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? root, ...env } });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), HANG_MS);
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(input ?? '');
  });
}

describe('the examples of the README and docs/', () => {
  let devSim: DevSimProcess;
  let dir: string;
  let urls: LocalUrls;
  let env: Record<string, string>;
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
    env = { GATHERQL_URL: devSim.url, DATABASE_URL: databaseUrl };
  }, 60_000);

  afterAll(async () => {
    await devSim?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Sends a GraphQL request as the docs' gateway would get it; the body as text. */
  async function send(body: string, token?: string): Promise<{ status: number; text: string }> {
    const response = await fetch(devSim.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json, application/json',
        ...(token && { authorization: `Bearer ${token}` }),
      },
      body,
    });
    return { status: response.status, text: await response.text() };
  }

  /** What is wrong with a GraphQL answer: not 200, errors, or no data. */
  function badAnswer(answer: { status: number; text: string }): string | null {
    let body: { data?: unknown; errors?: unknown };
    try {
      body = JSON.parse(answer.text);
    } catch {
      return `HTTP ${answer.status}, not JSON: ${answer.text.slice(0, 300)}`;
    }
    if (answer.status !== 200 || body.errors || !body.data) return `HTTP ${answer.status}: ${answer.text.slice(0, 600)}`;
    return null;
  }

  async function signIn(username: string): Promise<string> {
    const logIn = `mutation ($u: String!, $p: String!) { logIn(username: $u, password: $p) { ... on AuthPayload { token } } }`;
    const answer = await send(JSON.stringify({ query: logIn, variables: { u: username, p: DEMO_PASSWORD } }));
    const token = JSON.parse(answer.text).data?.logIn?.token;
    if (typeof token !== 'string') throw new Error(`${username} cannot sign in: ${answer.text}`);
    return token;
  }

  /** Runs one block as its language and marker say; a problem (and what it printed), or what it printed. */
  async function runBlock(block: DocBlock, above: Ran | null): Promise<{ problem: string } | { ran: Ran | null }> {
    const marker = readMarker(block.marker);
    const code = withLocalUrls(block.code, urls);
    switch (marker.kind) {
      case 'unknown':
        return { problem: `an unknown marker <!-- ${marker.text} --> (test/helpers/doc-markers.ts lists them)` };
      case 'illustrative':
        return marker.why ? { ran: null } : { problem: 'an illustrative block must say why it is not run' };
      case 'run-by': {
        const path = join(root, marker.test);
        if (!existsSync(path)) return { problem: `${marker.test} does not exist` };
        return readFileSync(path, 'utf8').includes(block.page) ? { ran: null } : { problem: `${marker.test} does not read ${block.page}` };
      }
      case 'answer': {
        if (block.lang !== 'json') return { problem: 'an answer is a json block' };
        if (!above) return { problem: 'an answer must follow a block that ran' };
        const expected = readExpected(block.code);
        if (expected === null) return { problem: 'the answer is not JSON (… may stand for a value)' };
        let actual: unknown;
        try {
          actual = JSON.parse(above.output);
        } catch {
          return { problem: `the block above printed no JSON: ${above.output.slice(0, 300)}` };
        }
        const found = difference(expected, actual);
        return found ? { problem: `the answer differs at ${found}` } : { ran: null };
      }
      case 'request-bodies': {
        if (block.lang !== 'json') return { problem: 'request bodies are a json block' };
        const outputs: string[] = [];
        for (const body of code.split('\n').filter((line) => line.trim())) {
          const answer = await send(body);
          const bad = badAnswer(answer);
          if (bad) return { problem: `${body.slice(0, 80)}…: ${bad}` };
          outputs.push(answer.text);
        }
        return { ran: { output: outputs.join('\n') } };
      }
      case 'run':
      case 'none':
        break;
    }
    const options = marker.kind === 'run' ? marker : { user: null, variables: null };
    if (block.lang === 'graphql') {
      const answer = await send(JSON.stringify({ query: code, variables: options.variables }), options.user ? await signIn(options.user) : undefined);
      const bad = badAnswer(answer);
      return bad ? { problem: bad } : { ran: { output: answer.text } };
    }
    if (marker.kind === 'run' && (options.user || options.variables)) return { problem: 'a user and variables are for graphql blocks' };
    if (SHELL.has(block.lang)) {
      // The server these examples run against: `npm run dev:sim` is scripts/dev-sim.ts, which startDevSim runs.
      if (code.trim() === 'npm run dev:sim') return { ran: null };
      const result = await run('bash', ['-e', '-o', 'pipefail', '-c', code], env);
      if (result.code !== 0) return { problem: `exit ${result.code}:\n${result.stdout.slice(-1500)}\n${result.stderr.slice(-1500)}` };
      return { ran: { output: result.stdout } };
    }
    if (SCRIPT.has(block.lang)) {
      // From the repository's root, as the examples import ./client/…; .mts, so that top-level await is ESM.
      const file = join(dir, `example-${block.page.replace(/\W/g, '-')}-${block.line}.mts`);
      writeFileSync(file, code.replace(/(['"])\.\/client\//g, `$1${root}client/`));
      const result = await run(process.execPath, ['--import', 'tsx', file], env);
      if (result.code !== 0) return { problem: `exit ${result.code}:\n${result.stdout.slice(-1500)}\n${result.stderr.slice(-1500)}` };
      return { ran: { output: result.stdout } };
    }
    if (block.lang === 'nginx') {
      if (!existsSync(NGINX)) return process.env.CI ? { problem: `CI=true but ${NGINX} is missing` } : { ran: null };
      const config = join(dir, `nginx-${block.line}.conf`);
      const temp = (name: string) => `${name}_temp_path ${dir}/${name};`;
      writeFileSync(
        config,
        `pid ${dir}/nginx.pid;\nevents {}\nhttp {\n${['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(temp).join(' ')}\n${code}\n}\n`,
      );
      const result = await run(NGINX, ['-t', '-q', '-e', join(dir, 'nginx-error.log'), '-c', config], {});
      return result.code === 0 ? { ran: null } : { problem: `nginx -t: ${result.stderr}` };
    }
    if (FIGURE.has(block.lang)) return { ran: null };
    if (block.lang === '') return { problem: 'a block without a language: name it (`text` for a figure, which is not run)' };
    return { problem: `a ${block.lang} block runs nowhere: mark it <!-- illustrative: why --> or <!-- run by test/….test.ts -->` };
  }

  /** Every problem of a page's blocks, each with its line. */
  async function problemsOf(page: string, markdown?: string): Promise<string[]> {
    const problems: string[] = [];
    let above: Ran | null = null;
    for (const block of docBlocks(page, markdown)) {
      const outcome = await runBlock(block, above);
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
      const answer = await send(
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
