// `npm test` fails whenever the printed schema stops keeping the API contract: every type,
// field, argument and nullability of contract/schema.graphql must be served.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const run = promisify(execFile);

describe('schema.graphql', () => {
  it('keeps every promise of the API contract (npm run contract-check lists what it breaks)', async () => {
    // The vendored checker and contract (scripts/, contract/): a lone clone in CI has them too.
    const result = await run(process.execPath, ['scripts/contract-check.mjs', 'schema.graphql'], { cwd: root, timeout: 30_000 }).catch(
      (error: { stdout?: string }) => ({ stdout: error.stdout ?? '', failed: true }),
    );
    expect('failed' in result, result.stdout).toBe(false);
    expect(result.stdout).toContain('contract kept');
  });
});

describe('contract/schema.graphql', () => {
  // The vendored contract is a copy of the API team's canonical one. Where that one is at
  // hand (CANONICAL_CONTRACT names its file), the copy must be the same, byte for byte.
  const canonical = process.env.CANONICAL_CONTRACT;
  it.skipIf(!canonical)('equals the canonical contract named by CANONICAL_CONTRACT', () => {
    expect(readFileSync(`${root}contract/schema.graphql`, 'utf8')).toBe(readFileSync(canonical!, 'utf8'));
  });
});
