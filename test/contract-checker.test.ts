import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'gatherql-contract-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the vendored checker from the project root, as `npm run contract-check` does. */
async function contractCheck(schemaPath: string): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await run(process.execPath, ['scripts/contract-check.mjs', schemaPath], { cwd: root, timeout: 30_000 });
    return { code: 0, stdout };
  } catch (error) {
    const failed = error as { code?: unknown; stdout?: string };
    if (typeof failed.code !== 'number') throw error;
    return { code: failed.code, stdout: failed.stdout ?? '' };
  }
}

describe('scripts/contract-check.mjs (the vendored contract checker)', () => {
  it('finds the vendored contract and accepts a schema that keeps it', async () => {
    const result = await contractCheck('contract/schema.graphql');
    expect(result.stdout).toContain('contract kept');
    expect(result.code).toBe(0);
  });

  it('exits 1 and names each breaking change', async () => {
    const contract = readFileSync(join(root, 'contract', 'schema.graphql'), 'utf8');
    const broken = contract.replace('  temperatureC: Float!\n', '').replace('  stale: Boolean!\n', '  stale: Boolean\n');
    expect(broken).not.toBe(contract);
    const path = join(dir, 'broken.graphql');
    writeFileSync(path, broken);

    const result = await contractCheck(path);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('BREAKING: FIELD_REMOVED: CityWeather.temperatureC was removed.');
    expect(result.stdout).toMatch(/BREAKING: FIELD_CHANGED_KIND: CityWeather\.stale changed type from Boolean! to Boolean/);
    expect(result.stdout).toContain('2 breaking change(s) from the contract');
  });
});
