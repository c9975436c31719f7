// The physical limit of an answer already in memory: node:http writing, for each request, the
// bytes gatherql answered to the same request, with nothing else. Those bytes come from a
// gatherql gateway in this process, asked once per distinct request (method, URL and body), in
// the warm-up; from then on a request costs Node's HTTP parser, one map look-up and one write.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import { loadConfig } from '../../config.js';
import { createGateway } from '../../gateway.js';
import { peerSettings } from './shared.js';

const settings = peerSettings();
const gateway = await createGateway(
  loadConfig({
    ...process.env,
    DATABASE_URL: `file:${settings.databaseFile}`,
    AUTH_SECRET: randomBytes(32).toString('base64url'),
    LOG_LEVEL: 'warn',
    RATE_LIMIT_PER_MINUTE: '0',
    UPSTREAM_BUDGET_PER_MINUTE: '0',
    OPEN_METEO_QUOTA: 'off',
  }),
);

interface Answer {
  status: number;
  contentType: string;
  body: Buffer;
}
const asked = new Map<string, Promise<Answer>>();
const known = new Map<string, Answer>();

/** gatherql's answer to this request, asked once. */
function answerTo(key: string, req: IncomingMessage, body: string): Promise<Answer> {
  let answer = asked.get(key);
  if (!answer) {
    answer = Promise.resolve(
      gateway.yoga.fetch(`http://gatherql${req.url}`, {
        method: req.method,
        headers: { 'content-type': 'application/json', ...(req.headers.accept && { accept: req.headers.accept }) },
        ...(req.method === 'POST' && { body }),
      }),
    ).then(async (response) => ({
      status: response.status,
      contentType: response.headers.get('content-type') ?? 'application/json; charset=utf-8',
      body: Buffer.from(await response.arrayBuffer()),
    }));
    asked.set(key, answer);
    void answer.then((answered) => known.set(key, answered));
  }
  return answer;
}

const server = createServer((req, res) => {
  // Only the GraphQL endpoint: the harness reads no /metrics of gatherql's here.
  if (!req.url?.startsWith('/graphql')) {
    res.writeHead(404).end();
    return;
  }
  const write = ({ status, contentType, body }: Answer) => {
    res.writeHead(status, { 'content-type': contentType, 'content-length': body.length });
    res.end(body);
  };
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const body = chunks.length === 0 ? '' : Buffer.concat(chunks).toString();
    const key = `${req.method} ${req.url} ${req.headers.accept ?? ''} ${body}`;
    const answer = known.get(key);
    if (answer) write(answer);
    else void answerTo(key, req, body).then(write);
  });
});
server.listen(settings.port, '127.0.0.1');
