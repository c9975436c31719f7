import { describe, expect, it } from 'vitest';
import { anonymousClientKey, clientAddress, connectionClientKey, createClientKey } from '../limits/client-key.js';

// Who a request is, for the limits: a signed-in user by id, anyone else by address.

const request = (headers: Record<string, string> = {}) => new Request('http://gatherql.test/graphql', { headers });
const socket = (remoteAddress: string | undefined) => ({ req: { socket: { remoteAddress } } });

describe('clientAddress', () => {
  it.each([
    ['an IPv4 socket', '203.0.113.7', '203.0.113.7'],
    ['an IPv4 client of a dual-stack socket, as one key', '::ffff:203.0.113.7', '203.0.113.7'],
    ['an IPv6 socket, in lower case', '2001:DB8::1', '2001:db8::1'],
    ['an IPv6 address that only looks mapped', '::ffff:2001:db8::1', null],
    ['no address', undefined, null],
    ['something that is no address', 'localhost', null],
  ])('reads %s', (_name, remote, expected) => {
    expect(clientAddress(request(), socket(remote), false)).toBe(expected);
  });

  it('believes the right-most X-Forwarded-For address (the proxy’s) only when told to, and only when it is an address', () => {
    // What the client sent comes first, and the proxy in front appends the address it saw.
    const forwarded = request({ 'x-forwarded-for': ' 10.9.9.9 , 198.51.100.4 ' });
    expect(clientAddress(forwarded, socket('10.0.0.1'), true)).toBe('198.51.100.4');
    expect(clientAddress(forwarded, socket('10.0.0.1'), false)).toBe('10.0.0.1');
    expect(clientAddress(request({ 'x-forwarded-for': '::FFFF:198.51.100.4' }), socket('10.0.0.1'), true)).toBe('198.51.100.4');
    expect(clientAddress(request({ 'x-forwarded-for': '198.51.100.4, not-an-ip' }), socket('10.0.0.1'), true)).toBe('10.0.0.1');
    expect(clientAddress(request({ 'x-forwarded-for': '' }), socket('10.0.0.1'), true)).toBe('10.0.0.1');
    expect(clientAddress(request({ 'x-forwarded-for': '198.51.100.4' }), undefined, true)).toBe('198.51.100.4');
  });

  it('reads no address from a server context whose request has no socket', () => {
    expect(clientAddress(request(), { req: {} } as never, false)).toBeNull();
  });
});

describe('createClientKey', () => {
  const userIdOf = async (authorization: string | null) => {
    if (authorization === null) return null;
    if (authorization === 'Bearer ada') return 7;
    throw new Error('a token that proves nothing');
  };

  it('keys a signed-in user by id whatever the address, and anyone else by address', async () => {
    const key = createClientKey({ userIdOf, trustProxy: true });
    expect(await key(request({ authorization: 'Bearer ada', 'x-forwarded-for': '198.51.100.4' }), socket('10.0.0.1'))).toBe('user:7');
    expect(await key(request({ 'x-forwarded-for': '198.51.100.4' }), socket('10.0.0.1'))).toBe('ip:198.51.100.4');
    // A forged token buys nothing: the request is its address.
    expect(await key(request({ authorization: 'Bearer forged' }), socket('10.0.0.1'))).toBe('ip:10.0.0.1');
    // In process (yoga.fetch) there is no socket.
    expect(await key(request(), {})).toBe('ip:unknown');
  });

  it('works a request out once, however often it is asked', async () => {
    let asked = 0;
    const key = createClientKey({
      userIdOf: async () => {
        asked += 1;
        return null;
      },
      trustProxy: false,
    });
    const one = request();
    expect(await Promise.all([key(one, socket('10.0.0.2')), key(one, socket('10.0.0.2')), key(one, socket('10.0.0.3'))])).toEqual([
      'ip:10.0.0.2',
      'ip:10.0.0.2',
      'ip:10.0.0.2',
    ]);
    expect(asked).toBe(1);
    expect(await key(request(), socket('10.0.0.3'))).toBe('ip:10.0.0.3');
    expect(asked).toBe(2);
  });
});

describe('connectionClientKey', () => {
  const userIdOf = async (authorization: string | null) => (authorization === 'Bearer ada' ? 7 : null);
  const upgrade = (headers: Record<string, string | string[]>, remoteAddress = '10.0.0.1') => ({ headers, socket: { remoteAddress } });

  it("keys a WebSocket connection by its token's user, else by the address of its upgrade request", async () => {
    expect(await connectionClientKey({ userIdOf, trustProxy: true }, 'Bearer ada', upgrade({ 'x-forwarded-for': '198.51.100.4' }))).toBe('user:7');
    expect(await connectionClientKey({ userIdOf, trustProxy: false }, null, upgrade({}, '::ffff:203.0.113.7'))).toBe('ip:203.0.113.7');
  });

  it("believes the upgrade's X-Forwarded-For only behind a trusted proxy, the right-most address of the last such header", async () => {
    const forwarded = upgrade({ 'x-forwarded-for': '10.9.9.9, 198.51.100.4' });
    expect(await connectionClientKey({ userIdOf, trustProxy: true }, null, forwarded)).toBe('ip:198.51.100.4');
    expect(await connectionClientKey({ userIdOf, trustProxy: false }, null, forwarded)).toBe('ip:10.0.0.1');
    // Node gives a header sent twice as an array (a proxy's own line is last).
    const twice = upgrade({ 'x-forwarded-for': ['198.51.100.9', '10.9.9.9, 198.51.100.4'] });
    expect(await connectionClientKey({ userIdOf, trustProxy: true }, null, twice)).toBe('ip:198.51.100.4');
    // The lines are one list: the proxy's own line, a single address, is not run into the one before it.
    const ownLine = upgrade({ 'x-forwarded-for': ['198.51.100.9, 10.9.9.9', '198.51.100.4'] });
    expect(await connectionClientKey({ userIdOf, trustProxy: true }, null, ownLine)).toBe('ip:198.51.100.4');
  });

  it('keys an upgrade whose socket is gone (its peer left) as ip:unknown', async () => {
    expect(await connectionClientKey({ userIdOf, trustProxy: false }, null, { headers: {} })).toBe('ip:unknown');
  });
});

describe('anonymousClientKey', () => {
  it('is the trusted forwarded address, else the socket address, else ip:unknown', () => {
    expect(anonymousClientKey('10.9.9.9, 198.51.100.4', '10.0.0.1', true)).toBe('ip:198.51.100.4');
    expect(anonymousClientKey('198.51.100.4', '10.0.0.1', false)).toBe('ip:10.0.0.1');
    expect(anonymousClientKey(undefined, undefined, true)).toBe('ip:unknown');
    expect(anonymousClientKey('not-an-ip', 'localhost', true)).toBe('ip:unknown');
  });
});
