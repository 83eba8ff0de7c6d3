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

// --profile: a V8 CPU profile of the measured process over one scenario (IPC profile-start / profile-stop).
if (process.send) {
  const inspector = require('inspector');
  const { writeFileSync } = require('fs');
  let session;
  process.on('message', (msg) => {
    if (msg?.type === 'profile-start') {
      session = new inspector.Session();
      session.connect();
      session.post('Profiler.enable', () => session.post('Profiler.start', () => process.send({ type: 'profile-started' })));
    } else if (msg?.type === 'profile-stop' && session) {
      session.post('Profiler.stop', (err, { profile }) => {
        writeFileSync(msg.file, JSON.stringify(profile));
        session.disconnect();
        process.send({ type: 'profile-stopped' });
      });
    }
  });
}

// RSS samples are only comparable after a collection (the process runs with --expose-gc under the bench).
if (process.send) {
  process.on('message', (msg) => {
    if (msg?.type !== 'gc') return;
    global.gc?.();
    const m = process.memoryUsage();
    process.send({ type: 'gc-done', live: m.heapUsed + m.external, rss: m.rss });
  });
}
