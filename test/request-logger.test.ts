import { describe, expect, it, vi } from 'vitest';
import { requestLogger } from '../context.js';
import { captureLogs } from './helpers/log-capture.js';

describe("a request's logger", () => {
  it('writes each level with the request id, through one child made on the first line', () => {
    const logs = captureLogs();
    const child = vi.spyOn(logs.logger, 'child');
    const logger = requestLogger(logs.logger, 'req-1');
    expect(child).not.toHaveBeenCalled();
    logger.debug('one');
    logger.info({ city: 'Paris' }, 'two');
    logger.warn('three');
    logger.error(new Error('four'), 'four');
    expect(child).toHaveBeenCalledTimes(1);
    expect(logs.lines().map(({ level, msg, requestId, city }) => ({ level, msg, requestId, city }))).toEqual([
      { level: 20, msg: 'one', requestId: 'req-1', city: undefined },
      { level: 30, msg: 'two', requestId: 'req-1', city: 'Paris' },
      { level: 40, msg: 'three', requestId: 'req-1', city: undefined },
      { level: 50, msg: 'four', requestId: 'req-1', city: undefined },
    ]);
    expect(logs.lines()[3]?.err.message).toBe('four');
  });

  it('keeps the levels of the logger it was made from', () => {
    const logs = captureLogs('warn');
    const logger = requestLogger(logs.logger, 'req-2');
    logger.info('not written');
    logger.warn('written');
    expect(logs.lines().map((line) => line.msg)).toEqual(['written']);
  });
});
