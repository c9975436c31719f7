// Loaded into every server under benchmark (--import): in a node:cluster primary (WORKERS > 1),
// says on stderr when each worker listens, so that the harness measures once all of them serve
// rather than when the first answers /ready. A process without workers never says anything.
import cluster from 'node:cluster';

if (cluster.isPrimary) {
  cluster.on('listening', (worker) => process.stderr.write(`worker-listening ${worker.process.pid}\n`));
}
