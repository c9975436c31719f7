import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

// A gateway on its defaults (embedded SQLite, no Redis, no WebSocket client yet) holds none of
// the packages that only some settings need: each costs memory in every process (about 30 MB of
// RSS for the three, BullMQ's included). test/helpers/packages-loaded.ts is the process that looks.

const root = fileURLToPath(new URL('..', import.meta.url));

describe('packages loaded only when asked for', () => {
  it('holds no Redis client, no PostgreSQL driver and no WebSocket server on the defaults, and each once asked for', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'test/helpers/packages-loaded.ts'], { cwd: root, timeout: 60_000 });
    const { atStart, afterUse } = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as { atStart: string[]; afterUse: string[] };
    expect(atStart).toEqual([]);
    expect(afterUse).toEqual(['ioredis', 'pg', 'ws']);
  });
});
