// stryker.config.mjs without the TypeScript checker, for a machine where type-checking every
// mutant takes longer than its tests (two shared cores: one mutant in 30 s or more). A mutant
// that does not compile then runs as the JavaScript it becomes and counts as killed or
// survived, instead of being left out. `nice -n 10 npx stryker run stryker.no-checker.config.mjs --mutate <files>`
// (docs/testing.md).
import base from './stryker.config.mjs';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default { ...base, checkers: [] };
