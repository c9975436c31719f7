import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** One fenced block of a Markdown page, with the HTML comment that marks it, if any. */
export interface DocBlock {
  page: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** The fence's info string's first word, lower-cased: `sh`, `graphql`, `ts`…; '' for none. */
  lang: string;
  code: string;
  /** The text of an HTML comment on the last non-blank line before the fence, e.g. `illustrative: needs Docker`. */
  marker: string | null;
}

/** The README and every page under docs/, in the order a reader meets them: the README first. */
export function docPages(): string[] {
  const docs = readdirSync(join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`);
  return ['README.md', ...docs];
}

/** The fenced blocks of a page (``` or ~~~ fences), in order. */
export function docBlocks(page: string, markdown = readFileSync(join(root, page), 'utf8')): DocBlock[] {
  const lines = markdown.split('\n');
  const blocks: DocBlock[] = [];
  for (let index = 0; index < lines.length; index += 1) {
    const open = /^\s*(```+|~~~+)\s*([^\s`]*)/.exec(lines[index]!);
    if (!open) continue;
    const fence = open[1]!;
    let end = index + 1;
    while (end < lines.length && !lines[end]!.trim().startsWith(fence)) end += 1;
    let before = index - 1;
    while (before >= 0 && lines[before]!.trim() === '') before -= 1;
    const marker = before >= 0 ? /^\s*<!--\s*(.*?)\s*-->\s*$/.exec(lines[before]!)?.[1] : undefined;
    blocks.push({
      page,
      line: index + 1,
      lang: open[2]!.toLowerCase(),
      code: lines.slice(index + 1, end).join('\n'),
      marker: marker ?? null,
    });
    index = end;
  }
  return blocks;
}

/** Where the docs' examples send their requests, and where a test's servers listen instead. */
export interface LocalUrls {
  /** The gateway's origin, e.g. http://127.0.0.1:41234 (the docs say http://127.0.0.1:4000). */
  gateway: string;
  /** A simulator port's origin (the docs say http://127.0.0.1:PORT, "printed by npm run dev:sim"). */
  simulator?: string;
}

/** An example's code with the docs' addresses replaced by those of the servers a test started. */
export function withLocalUrls(code: string, urls: LocalUrls): string {
  const gateway = code.replaceAll('http://127.0.0.1:4000', urls.gateway);
  return urls.simulator ? gateway.replaceAll('http://127.0.0.1:PORT', urls.simulator) : gateway;
}
