import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GATEWAY_HEAP_ARGS } from '../node-options.js';

// `npm start` and the benchmark harness must run the gateway with the same Node options:
// package.json holds the start script, node-options.ts the list the harness reads.

describe('the Node options npm start runs the gateway with', () => {
  it('are those of node-options.ts, given to node before the bundle', () => {
    const { scripts } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> };
    const run = /&& node ((?:--\S+ )*)dist\/server\.mjs$/.exec(scripts.start ?? '');
    expect(run, 'the start script runs `node [options] dist/server.mjs` last').not.toBeNull();
    expect((run?.[1] ?? '').split(' ').filter((option) => option !== '' && option !== '--enable-source-maps')).toEqual([...GATEWAY_HEAP_ARGS]);
  });
});
