// Creates an admin, or promotes an existing user: `npm run create-admin -- <username> [--email <address>]`.
// The password of a new account comes from GATHERQL_ADMIN_PASSWORD or a hidden prompt,
// never from an argument (arguments end up in shell history and process lists).
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { openDatabase } from '../db/connect.js';
import { migrateToLatest } from '../db/migrate.js';
import { selectCredentials } from '../db/users.js';
import { createOrPromoteAdmin } from '../resolvers/admins.js';
import { ValidationError } from '../resolvers/errors.js';

const USAGE = 'usage: npm run create-admin -- <username> [--email <address>]';

function fail(message: string): never {
  console.error(`create-admin: ${message}`);
  process.exit(1);
}

/** Reads a line from the terminal without echoing it. */
function promptHidden(question: string): Promise<string> {
  if (!process.stdin.isTTY) fail('no terminal to ask for the password: set GATHERQL_ADMIN_PASSWORD');
  const muted = new Writable({ write: (_chunk, _encoding, done) => done() });
  const rl = createInterface({ input: process.stdin, output: muted, terminal: true });
  process.stdout.write(question);
  return new Promise((resolve) =>
    rl.question('', (answer) => {
      rl.close();
      process.stdout.write('\n');
      resolve(answer);
    }),
  );
}

let parsed: { values: { email?: string | undefined }; positionals: string[] };
try {
  parsed = parseArgs({ allowPositionals: true, options: { email: { type: 'string' } } });
} catch (error) {
  fail(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
}
const [username, ...extra] = parsed.positionals;
if (!username || extra.length > 0) fail(USAGE);

const config = (() => {
  try {
    return loadConfig();
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  }
})();
const database = openDatabase(config.databaseUrl);
try {
  await migrateToLatest(database.db);
  const email = parsed.values.email ?? process.env.GATHERQL_ADMIN_EMAIL ?? null;
  let password = process.env.GATHERQL_ADMIN_PASSWORD ?? null;
  if (password === null && !(await selectCredentials(database.db, username))) password = await promptHidden(`password for the new admin ${username}: `);
  const outcome = await createOrPromoteAdmin(database.db, { username, email, password });
  console.log(outcome === 'created' ? `created the admin ${username}` : `promoted ${username} to admin`);
} catch (error) {
  const message =
    error instanceof ValidationError ? error.fields.map((field) => field.message).join('; ') : String(error instanceof Error ? error.message : error);
  await database.close();
  fail(message);
}
await database.close();
