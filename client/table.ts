/** One column of a text table. */
export interface Column {
  header: string;
  /** Longer cells are cut to this many characters, ending in "…". Default 48. */
  maxWidth?: number;
}

function clip(text: string, width: number): string {
  return text.length > width ? `${text.slice(0, width - 1)}…` : text;
}

/**
 * Lays rows out as aligned plain-text columns under a header line, for a terminal.
 * Every row must have one cell per column.
 */
export function formatTable(columns: Column[], rows: string[][]): string {
  const cells = rows.map((row) => columns.map((column, index) => clip(row[index] ?? '', column.maxWidth ?? 48)));
  const widths = columns.map((column, index) => Math.max(column.header.length, ...cells.map((row) => row[index]!.length)));
  const line = (row: string[]) =>
    row
      .map((cell, index) => cell.padEnd(widths[index]!))
      .join('  ')
      .trimEnd();
  return [line(columns.map((column) => column.header.toUpperCase())), ...cells.map(line)].join('\n');
}
