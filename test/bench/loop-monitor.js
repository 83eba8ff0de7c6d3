// Preloaded into the measured process (node --require): records event-loop delay and answers the bench's
// { type: 'loop-stats' } IPC message with { p50, p99, max } in milliseconds, starting a new window.
// Changes nothing else (it uses the IPC channel only when the bench opened one).
const { monitorEventLoopDelay } = require('perf_hooks');
const histogram = monitorEventLoopDelay({ resolution: 10 });
histogram.enable();
if (process.send) {
  process.on('message', (msg) => {
    if (!msg || msg.type !== 'loop-stats') return;
    const ms = (ns) => Math.round((ns / 1e6) * 100) / 100;
    process.send({ type: 'loop-stats', p50: ms(histogram.percentile(50)), p99: ms(histogram.percentile(99)), max: ms(histogram.max) });
    histogram.reset();
  });
  // The IPC channel must not keep the process alive on its own.
  process.channel?.unref();
}
