import { describe, expect, it } from 'vitest';
import { formatTable } from '../client/table.js';

describe('formatTable', () => {
  it('aligns columns under upper-case headers and cuts long cells with an ellipsis', () => {
    const table = formatTable(
      [{ header: 'title' }, { header: 'author', maxWidth: 8 }, { header: 'date' }],
      [
        ['On SQL', 'Margaret Hamilton', '2026-01-14'],
        ['A much longer title', 'ken', '2026-01-05'],
      ],
    );
    expect(table).toBe(
      ['TITLE                AUTHOR    DATE', 'On SQL               Margare…  2026-01-14', 'A much longer title  ken       2026-01-05'].join('\n'),
    );
  });

  it('prints only the header for no rows', () => {
    expect(formatTable([{ header: 'title' }, { header: 'date' }], [])).toBe('TITLE  DATE');
  });
});
