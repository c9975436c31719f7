import type { Plugin } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import { named, withoutPlugins } from '../plugins/plugin-names.js';

describe('plugins left out by name (the cost ledger)', () => {
  const facts: Plugin = { onParams() {} };
  const log: Plugin = { onResponse() {} };
  const unnamed: Plugin = { onExecute() {} };
  const all = [named('operation-facts', facts), named('request-log', log), unnamed];

  it('leave out exactly the plugins named, in the order the rest came', () => {
    expect(withoutPlugins(all, ['request-log'])).toEqual([facts, unnamed]);
    expect(withoutPlugins(all, ['operation-facts', 'request-log'])).toEqual([unnamed]);
  });

  it('leave the list as it is when nothing is named', () => {
    expect(withoutPlugins(all, undefined)).toBe(all);
    expect(withoutPlugins(all, [])).toBe(all);
    expect(withoutPlugins(all, ['metrics'])).toEqual(all);
  });
});
