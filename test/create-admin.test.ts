import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../db/connect.js';
import { verifyPassword } from '../resolvers/passwords.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'gatherql-admin-'));
const databaseUrl = `file:${join(dir, 'admin.sqlite')}`;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function createAdmin(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/create-admin.ts', ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', DATABASE_URL: databaseUrl, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

async function account(username: string) {
  const handle = openDatabase(databaseUrl);
  try {
    return await handle.db.selectFrom('users').select(['role', 'email', 'password_hash']).where('username', '=', username).executeTakeFirst();
  } finally {
    await handle.close();
  }
}

describe('npm run create-admin', () => {
  it('creates an admin with the password from the environment, never from an argument', async () => {
    const result = await createAdmin(['root', '--email', 'Root@Example.com'], { GATHERQL_ADMIN_PASSWORD: 'a long admin password' });
    expect(result).toMatchObject({ code: 0, stdout: 'created the admin root\n' });
    const row = await account('root');
    expect(row).toMatchObject({ role: 'ADMIN', email: 'root@example.com' });
    expect(await verifyPassword('a long admin password', row!.password_hash)).toBe(true);
  });

  it('promotes an existing user, found case-insensitively, and leaves the password alone', async () => {
    await createAdmin(['plain', '--email', 'plain@example.com'], { GATHERQL_ADMIN_PASSWORD: 'first password!!' });
    const handle = openDatabase(databaseUrl);
    await handle.db.updateTable('users').set({ role: 'USER' }).where('username', '=', 'plain').execute();
    await handle.close();
    const result = await createAdmin(['PLAIN'], { GATHERQL_ADMIN_PASSWORD: 'ignored password!!' });
    expect(result).toMatchObject({ code: 0, stdout: 'promoted PLAIN to admin\n' });
    const row = await account('plain');
    expect(row?.role).toBe('ADMIN');
    expect(await verifyPassword('first password!!', row!.password_hash)).toBe(true);
  });

  it.each([
    [[], {}, 'create-admin: usage: npm run create-admin -- <username> [--email <address>]'],
    [['newbie'], {}, 'create-admin: no terminal to ask for the password: set GATHERQL_ADMIN_PASSWORD'],
    [['newbie', '--email', 'n@example.com'], { GATHERQL_ADMIN_PASSWORD: 'short' }, 'create-admin: password must be at least 10 characters'],
    [['newbie'], { GATHERQL_ADMIN_PASSWORD: 'long enough password' }, 'create-admin: email is needed to create an account'],
    [['bad name'], { GATHERQL_ADMIN_PASSWORD: 'long enough password' }, "create-admin: username may contain only letters, digits, '_' and '.'"],
  ])('fails clearly with exit code 1 for %j', async (args, env, message) => {
    const result = await createAdmin(args, env);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`${message}\n`);
    expect(await account('newbie')).toBeUndefined();
  });
});
