// How each fenced block of the docs runs (test/docs-examples.test.ts says which, by language
// and marker): against a server a test started, in the repository, with its own scratch folder.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NGINX } from '../services/nginx.js';
import { type DocBlock, type LocalUrls, withLocalUrls } from './doc-blocks.js';
import { difference, readExpected, readMarker } from './doc-markers.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const DEMO_PASSWORD = 'gatherql-demo';
/** Only against a hang: no verdict depends on it. */
const HANG_MS = 180_000;

const SHELL = new Set(['sh', 'bash', 'shell']);
const SCRIPT = new Set(['ts', 'typescript', 'js', 'javascript']);
const FIGURE = new Set(['text', 'mermaid']);

export interface Ran {
  /** What the block printed or answered, for an answer block after it. */
  output: string;
}

/** Runs a program to its end, in the repository; resolves with its exit code and what it printed on stdout and stderr. */
export function run(command: string, args: string[], env: Record<string, string>) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    // No stdin: a program that exits without reading it (nginx -t) must not meet a write to a closed pipe.
    const child = spawn(command, args, {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? root, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
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
  });
}

/** A block's verdict: what is wrong with it, or what it printed (null when it printed nothing to compare). */
export type Outcome = { problem: string } | { ran: Ran | null };

export interface DocRunnerOptions {
  /** The GraphQL endpoint the examples run against. */
  graphqlUrl: string;
  /** Where the docs' addresses lead instead. */
  urls: LocalUrls;
  /** The commands' environment besides PATH and HOME: GATHERQL_URL, DATABASE_URL. */
  env: Record<string, string>;
  /** A scratch folder for the files the examples need. */
  dir: string;
}

export interface DocRunner {
  /** Runs one block as its language and marker say; `above` is what the block before it printed. */
  runBlock(block: DocBlock, above: Ran | null): Promise<Outcome>;
  /** POSTs a GraphQL request body to the server; its status and body as text. */
  send(body: string, token?: string): Promise<{ status: number; text: string }>;
}

export function createDocRunner(options: DocRunnerOptions): DocRunner {
  /** Sends a GraphQL request as the docs' gateway would get it; the body as text. */
  async function send(body: string, token?: string): Promise<{ status: number; text: string }> {
    const response = await fetch(options.graphqlUrl, {
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
    const code = withLocalUrls(block.code, options.urls);
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
    const sent = marker.kind === 'run' ? marker : { user: null, variables: null };
    if (block.lang === 'graphql') {
      const answer = await send(JSON.stringify({ query: code, variables: sent.variables }), sent.user ? await signIn(sent.user) : undefined);
      const bad = badAnswer(answer);
      return bad ? { problem: bad } : { ran: { output: answer.text } };
    }
    if (marker.kind === 'run' && (sent.user || sent.variables)) return { problem: 'a user and variables are for graphql blocks' };
    if (SHELL.has(block.lang)) {
      // The server these examples run against: `npm run dev:sim` is scripts/dev-sim.ts, which startDevSim runs.
      if (code.trim() === 'npm run dev:sim') return { ran: null };
      const result = await run('bash', ['-e', '-o', 'pipefail', '-c', code], options.env);
      if (result.code !== 0) return { problem: `exit ${result.code}:\n${result.stdout.slice(-1500)}\n${result.stderr.slice(-1500)}` };
      return { ran: { output: result.stdout } };
    }
    if (SCRIPT.has(block.lang)) {
      // From the repository's root, as the examples import ./client/…; .mts, so that top-level await is ESM.
      const file = join(options.dir, `example-${block.page.replace(/\W/g, '-')}-${block.line}.mts`);
      writeFileSync(file, code.replace(/(['"])\.\/client\//g, `$1${root}client/`));
      const result = await run(process.execPath, ['--import', 'tsx', file], options.env);
      if (result.code !== 0) return { problem: `exit ${result.code}:\n${result.stdout.slice(-1500)}\n${result.stderr.slice(-1500)}` };
      return { ran: { output: result.stdout } };
    }
    if (block.lang === 'nginx') {
      if (!existsSync(NGINX)) return process.env.CI ? { problem: `CI=true but ${NGINX} is missing` } : { ran: null };
      const config = join(options.dir, `nginx-${block.line}.conf`);
      const temp = (name: string) => `${name}_temp_path ${options.dir}/${name};`;
      writeFileSync(
        config,
        `pid ${options.dir}/nginx.pid;\nevents {}\nhttp {\n${['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(temp).join(' ')}\n${code}\n}\n`,
      );
      const result = await run(NGINX, ['-t', '-q', '-e', join(options.dir, 'nginx-error.log'), '-c', config], {});
      return result.code === 0 ? { ran: null } : { problem: `nginx -t: ${result.stderr}` };
    }
    if (FIGURE.has(block.lang)) return { ran: null };
    if (block.lang === '') return { problem: 'a block without a language: name it (`text` for a figure, which is not run)' };
    return { problem: `a ${block.lang} block runs nowhere: mark it <!-- illustrative: why --> or <!-- run by test/….test.ts -->` };
  }

  return { runBlock, send };
}
