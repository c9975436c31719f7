// Writes schema.graphql from the code: `npm run print-schema`. CI fails when the
// committed file differs, so the file always says what the server serves.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { printSchema } from 'graphql';
import { schema } from '../schema/index.js';

export const schemaPath = fileURLToPath(new URL('../schema.graphql', import.meta.url));

export function printedSchema(): string {
  return `${printSchema(schema)}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(schemaPath, printedSchema());
  console.log(`wrote ${schemaPath}`);
}
