#!/usr/bin/env node
// Checks that a printed schema keeps every promise of the API contract.
// Usage (from the project root): npm run contract-check, or node scripts/contract-check.mjs [schema.graphql]
//
// A vendored copy, so that a clone of this repository alone can run the check (CI does).
// The canonical checker and contract are kept with the other teams' shared material, in
// its tools/contract-check.mjs and contract/schema.graphql; change them there first and
// copy both files here unchanged, except for this header and the contract path below.
// Exit 0: no breaking change from the contract; 1: breaking changes, listed; 2: could not run.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
// The vendored contract: contract/schema.graphql at the project root.
const contractPath = join(here, '..', 'contract', 'schema.graphql');
const schemaPath = resolve(process.argv[2] ?? 'schema.graphql');

let graphql;
try {
  graphql = createRequire(join(process.cwd(), 'package.json'))('graphql');
} catch {
  console.error('contract-check: the project has no "graphql" package installed (run npm install)');
  process.exit(2);
}
const { buildSchema, findBreakingChanges, findDangerousChanges } = graphql;

function load(path) {
  try {
    return buildSchema(readFileSync(path, 'utf8'));
  } catch (error) {
    console.error(`contract-check: cannot read a schema from ${path}: ${error.message}`);
    process.exit(2);
  }
}

const contract = load(contractPath);
const actual = load(schemaPath);
const breaking = findBreakingChanges(contract, actual);
for (const change of findDangerousChanges(contract, actual)) {
  console.log(`note: ${change.type}: ${change.description}`);
}
for (const change of breaking) {
  console.log(`BREAKING: ${change.type}: ${change.description}`);
}
console.log(breaking.length === 0 ? `contract kept: ${schemaPath} is a superset of the contract` : `${breaking.length} breaking change(s) from the contract`);
process.exit(breaking.length === 0 ? 0 : 1);
