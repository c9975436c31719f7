// The example client as a command line: `npm run client -- posts`. It names each operation
// by its id from the trusted documents manifest, so it works against PERSISTED_DOCUMENTS=only.
// GATHERQL_URL picks the server (default http://127.0.0.1:4000/graphql); GATHERQL_TOKEN,
// when set, is sent as a bearer token. Exit codes: 0 done, 1 the server or the request
// failed, 2 bad arguments.
import { fileURLToPath } from 'node:url';
import { type CommandContext, UsageError } from './commands/command.js';
import { commands } from './commands/index.js';
import { execute, executeIncrementally, TransportError } from './execute.js';
import { subscribe } from './subscribe.js';

export const DEFAULT_URL = 'http://127.0.0.1:4000/graphql';

function usage(): string {
  const lines = commands.map((command) => `  ${`${command.name} ${command.usage}`.padEnd(40)} ${command.summary}`);
  return ['usage: npm run client -- <command> [arguments]', '', 'commands:', ...lines, '', `server: GATHERQL_URL (default ${DEFAULT_URL})`].join('\n');
}

/** Runs one command line; resolves with the exit code. Apart from main() so that it can be reused. */
export async function runCli(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  const [name, ...args] = argv;
  const command = commands.find((candidate) => candidate.name === name);
  if (!command) {
    if (name !== undefined && name !== '--help' && name !== '-h') console.error(`unknown command: ${name}\n`);
    console.error(usage());
    return name === '--help' || name === '-h' ? 0 : 2;
  }
  const url = env.GATHERQL_URL || DEFAULT_URL;
  const token = env.GATHERQL_TOKEN || undefined;
  const context: CommandContext = {
    execute: (document, variables) => execute(document, variables, { url, token }),
    executeIncrementally: (document, variables) => executeIncrementally(document, variables, { url, token }),
    subscribe: (document, variables) => {
      // Ctrl-C ends a subscription quietly: the command then finishes as if the stream had ended.
      const interrupted = new AbortController();
      process.once('SIGINT', () => interrupted.abort());
      return subscribe(document, variables, { url, token, signal: interrupted.signal });
    },
    env,
    print: (text) => console.log(text),
    warn: (text) => console.error(text),
  };
  try {
    return await command.run(args, context);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`${error.message}\nusage: npm run client -- ${command.name} ${command.usage}`);
      return 2;
    }
    if (error instanceof TransportError) {
      console.error(`gatherql client: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.exitCode = await runCli(process.argv.slice(2), process.env);
}
