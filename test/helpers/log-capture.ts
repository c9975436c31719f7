import { type Logger, pino } from 'pino';

export interface LogCapture {
  /** A pino logger at `level` that writes into this capture, with no redaction: what it records is what the code logged. */
  logger: Logger;
  /** Every line written so far, raw. */
  text(): string;
  /** Every line written so far, parsed. */
  lines(): Record<string, any>[];
}

export function captureLogs(level: pino.LevelWithSilent = 'trace'): LogCapture {
  const written: string[] = [];
  const logger = pino({ level }, { write: (line: string) => void written.push(line) });
  return {
    logger,
    text: () => written.join(''),
    lines: () =>
      written
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line)),
  };
}
