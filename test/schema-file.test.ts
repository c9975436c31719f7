import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { printedSchema, schemaPath } from '../scripts/print-schema.js';

describe('schema.graphql', () => {
  it('is what the code prints (run `npm run print-schema` after changing the schema)', () => {
    expect(readFileSync(schemaPath, 'utf8')).toBe(printedSchema());
  });
});
