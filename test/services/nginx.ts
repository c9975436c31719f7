import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';

export const NGINX = '/usr/sbin/nginx';

export interface ThrowawayNginx {
  /** `http://127.0.0.1:<port>`: round-robin over the upstream ports. */
  url: string;
  /** The master process (its worker is its child), for whoever measures what it costs. */
  pid: number;
  /** What nginx wrote to its error log so far: why each request it could not pass on failed. */
  errorLog(): string;
  /** Stops it gracefully (SIGQUIT) and waits until it has exited. */
  stop(): Promise<void>;
}

/**
 * nginx (Debian's package) as a load balancer in front of gateway instances on loopback,
 * configured as docs/deploy.md recommends: round robin, a server that refuses a connection
 * is skipped for 2 s and the request goes to the next one (also a POST: a refused or reset
 * connection means the request was not read), keep-alive connections to the instances that
 * nginx closes before the instances would (4 s, below KEEP_ALIVE_TIMEOUT_MS in http/serve.ts),
 * WebSocket upgrades passed on, and the client's address appended to X-Forwarded-For. Event streams
 * (SSE) are not buffered: the gateway says so per response (X-Accel-Buffering: no).
 * `keepalive`: idle connections to the instances that nginx keeps open (128 as in the docs).
 * `cache`: nginx keeps the answers that say it may, as the proxy_cache recipe of the docs does.
 */
export async function startNginx(upstreamPorts: number[], options: { keepalive?: number; cache?: boolean } = {}): Promise<ThrowawayNginx> {
  const dir = mkdtempSync(join(tmpdir(), 'gatherql-nginx-'));
  const cache = options.cache ? proxyCache(join(dir, 'cache')) : { http: '', server: '' };
  const port = await freePort();
  const servers = upstreamPorts.map((upstream) => `server 127.0.0.1:${upstream} max_fails=1 fail_timeout=2s;`).join('\n    ');
  writeFileSync(
    join(dir, 'nginx.conf'),
    `${process.getuid?.() === 0 ? 'user root;\n' : ''}worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  map $http_upgrade $connection_upgrade { default upgrade; '' ''; }
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fcgi;
  uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  ${cache.http}
  upstream gateways {
    ${servers}
    keepalive ${options.keepalive ?? 128};
    keepalive_timeout 4s;
  }
  server {
    listen 127.0.0.1:${port};
    ${cache.server}
    location / {
      proxy_pass http://gateways;
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_next_upstream error timeout non_idempotent;
      proxy_next_upstream_tries 3;
    }
  }
}
`,
  );
  const child: ChildProcess = spawn(NGINX, ['-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (chunk) => (err += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 10_000;
  while (!(await listening(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`nginx did not start: ${err}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    errorLog: () => (existsSync(join(dir, 'error.log')) ? readFileSync(join(dir, 'error.log'), 'utf8') : ''),
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGQUIT');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The proxy_cache recipe of docs/deploy.md, read from there (so that what the docs say is
 * what runs), with its cache in `folder`: its `proxy_cache_path` and `map` for http { }, the rest for
 * server { }.
 */
function proxyCache(folder: string): { http: string; server: string } {
  const docs = readFileSync(new URL('../../docs/deploy.md', import.meta.url), 'utf8');
  const recipe = [...docs.matchAll(/```nginx\n([\s\S]*?)```/g)].map((block) => block[1]!).find((block) => block.includes('proxy_cache_path'));
  if (!recipe) throw new Error('docs/deploy.md has no nginx block with proxy_cache_path');
  const directives = recipe.split('\n').filter((line) => line.trim() !== '' && !line.trim().startsWith('#'));
  const inHttp = (line: string) => line.startsWith('proxy_cache_path') || line.startsWith('map ');
  return {
    http: directives.filter(inHttp).join('\n').replace('/var/cache/nginx/gatherql', folder),
    server: directives.filter((line) => !inHttp(line)).join('\n    '),
  };
}

export function nginxAvailable(): boolean {
  return existsSync(NGINX);
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
