import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate } from '@graphql-codegen/cli';
import { describe, expect, it } from 'vitest';
import config from '../codegen.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const generatedDir = join(root, 'client', 'generated');

interface GeneratedFile {
  filename: string;
  content: string;
}

describe('client/generated', () => {
  // The trusted documents manifest (persisted-documents.json) is one of these files: a stale one
  // would refuse, under PERSISTED_DOCUMENTS=only, the operations that the client now sends.
  it('is what codegen.ts generates from schema.graphql and client/operations, the manifest included (run `npm run codegen`)', async () => {
    // In memory: the second argument false keeps generate() from writing anything.
    // generate() is typed `any` (it also serves watch mode); without writing it returns the files.
    const outputs = (await generate({ ...config, cwd: root, silent: true }, false)) as GeneratedFile[];
    const generated = Object.fromEntries(outputs.map((output) => [relative(root, join(root, output.filename)), output.content]));
    const committed = Object.fromEntries(
      readdirSync(generatedDir).map((name) => [join('client', 'generated', name), readFileSync(join(generatedDir, name), 'utf8')]),
    );
    expect(Object.keys(generated).sort()).toEqual(Object.keys(committed).sort());
    for (const [path, content] of Object.entries(generated)) {
      expect(committed[path], `${path} is stale`).toBe(content);
    }
  });
});
