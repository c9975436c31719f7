import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface DevSimProcess {
  child: ChildProcess;
  /** The GraphQL endpoint it logged, e.g. http://127.0.0.1:41234/graphql. */
  url: string;
  /** Everything it printed so far, stdout and stderr. */
  output(): string;
  /** SIGTERM, and the exit. Safe to call twice. */
  stop(): Promise<void>;
}

/** Runs `npm run dev:sim` (scripts/dev-sim.ts) as a process on a free port, and waits until it listens. */
export async function startDevSim(env: Record<string, string> = {}): Promise<DevSimProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/dev-sim.ts'], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', DATABASE_URL: ':memory:', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stderr!.on('data', (chunk) => (out += chunk));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  };
  try {
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout!.on('data', (chunk) => {
        out += chunk;
        const match = /"url":"(http:\/\/[^"]+\/graphql)"/.exec(out);
        if (match) resolve(match[1]!);
      });
      // A gateway that cannot start exits: say why at once, not at the test's timeout.
      child.once('exit', (code) => reject(new Error(`dev:sim exited (${code}) before listening:\n${out}`)));
    });
    return { child, url, output: () => out, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
