// Loaded into every server under benchmark (--import): measures event-loop delay and
// reports its p99 on SIGUSR2, then starts a fresh measurement.
import { monitorEventLoopDelay } from 'node:perf_hooks';

const histogram = monitorEventLoopDelay({ resolution: 10 });
histogram.enable();
process.on('SIGUSR2', () => {
  process.stderr.write(`event-loop-delay-p99-ms ${(histogram.percentile(99) / 1e6).toFixed(1)}\n`);
  histogram.reset();
});
