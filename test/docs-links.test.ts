// Every relative link of the README, SECURITY.md and docs/ must lead somewhere: to a file of
// the repository and, with a #fragment into a Markdown file, to one of its headings. A page
// that is moved or a heading that is renamed otherwise leaves dead links that nobody sees
// until a reader follows one.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const PAGES = [
  'README.md',
  'SECURITY.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];

/** The text of a page outside fenced code blocks, where `[x](y)` is not a link. */
function prose(markdown: string): string[] {
  let fenced = false;
  return markdown.split('\n').map((line) => {
    if (/^\s*(```|~~~)/.test(line)) {
      fenced = !fenced;
      return '';
    }
    return fenced ? '' : line;
  });
}

/**
 * The anchor GitHub gives a heading: the text as rendered (no code ticks, emphasis or link
 * targets), lower-cased, punctuation dropped, each space a hyphen; a repeated one gets -1, -2….
 */
function slug(heading: string): string {
  return heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[`*]/g, '')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

function anchors(file: string): Set<string> {
  const seen = new Map<string, number>();
  const found = new Set<string>();
  for (const line of prose(readFileSync(file, 'utf8'))) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const base = slug(heading);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    found.add(count === 0 ? base : `${base}-${count}`);
  }
  return found;
}

/** Relative link targets of a page: inline links and images, and reference definitions. */
function links(markdown: string): string[] {
  const targets: string[] = [];
  for (const line of prose(markdown)) {
    const text = line.replace(/`[^`]*`/g, '');
    for (const match of text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) targets.push(match[1]!);
    const definition = /^\s*\[[^\]]+\]:\s*<?(\S+?)>?(\s|$)/.exec(text);
    if (definition) targets.push(definition[1]!);
  }
  return targets.filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target));
}

/** What is wrong with one link of `page`, or null when it resolves. */
function brokenLink(page: string, target: string): string | null {
  const [path = '', fragment] = target.split('#', 2);
  const file = path === '' ? join(ROOT, page) : resolve(dirname(join(ROOT, page)), decodeURIComponent(path));
  if (relative(ROOT, file).startsWith('..')) return 'leads out of the repository';
  if (!existsSync(file)) return 'no such file';
  if (fragment === undefined) return null;
  if (statSync(file).isDirectory() || !file.endsWith('.md')) return 'an anchor into a file that has no headings to check';
  return anchors(file).has(decodeURIComponent(fragment)) ? null : `no heading of ${relative(ROOT, file)} makes #${fragment}`;
}

describe('links in the README, SECURITY.md and docs/', () => {
  it('slugs headings as GitHub does', () => {
    expect(slug('Fast parts first: `@defer`')).toBe('fast-parts-first-defer');
    expect(slug('(d) Tail latency: fan-out of 20, 1% of upstream calls at 500 ms')).toBe('d-tail-latency-fan-out-of-20-1-of-upstream-calls-at-500-ms');
    expect(slug('What `.ci/run` does, and where its time goes')).toBe('what-cirun-does-and-where-its-time-goes');
    expect(slug('Accounts, posts and admins')).toBe('accounts-posts-and-admins');
  });

  it('finds a missing file, a missing heading and a way out of the repository', () => {
    expect(brokenLink('README.md', 'docs/no-such-page.md')).toBe('no such file');
    expect(brokenLink('README.md', '#no-such-heading')).toBe('no heading of README.md makes #no-such-heading');
    expect(brokenLink('docs/upstreams.md', '../../outside.md')).toBe('leads out of the repository');
    expect(brokenLink('docs/upstreams.md', '../package.json')).toBeNull();
  });

  it.each(PAGES)('%s: every relative link resolves', (page) => {
    const broken = links(readFileSync(join(ROOT, page), 'utf8'))
      .map((target) => ({ target, problem: brokenLink(page, target) }))
      .filter(({ problem }) => problem !== null);
    expect(broken).toEqual([]);
  });
});
