// Run as a process of its own (`node --import tsx`): which of the packages only some settings
// need a gateway on the defaults holds, and which it holds once each is asked for. A package
// is held once Node has loaded its CommonJS entry (ioredis, pg and ws are CommonJS; BullMQ
// loads ioredis). Prints one JSON line: { atStart, afterUse }.
import { createRequire } from 'node:module';
import { createServer } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../../config.js';
import { openDatabase } from '../../db/connect.js';
import { createEventBus } from '../../events/bus.js';
import { createGateway } from '../../gateway.js';

const OPTIONAL = ['ioredis', 'pg', 'ws'];
const cache = createRequire(import.meta.url).cache;
const held = () => OPTIONAL.filter((name) => Object.keys(cache).some((file) => file.includes(`/node_modules/${name}/`)));

const gateway = await createGateway(loadConfig({ DATABASE_URL: ':memory:', LOG_LEVEL: 'silent' }));
const server = createServer(gateway.listener).on('upgrade', (request, socket, head) => gateway.webSockets.handleUpgrade(request, socket, head));
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address() as AddressInfo;
const answer = await fetch(`http://127.0.0.1:${port}/graphql`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ query: '{ posts(first: 1) { totalCount } }' }),
});
if (answer.status !== 200) throw new Error(`the gateway answered ${answer.status}`);
const atStart = held();

// Each one asked for: a WebSocket upgrade (written by hand: a client library would load ws here),
// a PostgreSQL database (a pool connects only when used), and an event bus on Redis.
const switched = await new Promise<string>((resolve, reject) => {
  const socket = connect(port, '127.0.0.1', () =>
    socket.write(
      'GET /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n',
    ),
  );
  socket.once('data', (chunk) => {
    resolve(chunk.toString('latin1').split('\r\n')[0] ?? '');
    socket.destroy();
  });
  socket.on('error', reject);
});
if (!switched.includes('101')) throw new Error(`the upgrade was answered ${switched}`);
const postgres = openDatabase('postgres://nobody@127.0.0.1:1/none');
// Nothing listens on port 1: the trouble is expected.
const bus = await createEventBus({ redisUrl: 'redis://127.0.0.1:1', onError: () => {} });
const afterUse = held();

await Promise.all([bus.close(), postgres.close()]);
await new Promise<void>((resolve) => server.close(() => resolve()));
await gateway.close();
console.log(JSON.stringify({ atStart, afterUse }));
process.exit(0);
