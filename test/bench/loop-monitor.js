// Preloaded into the measured process (node --require) by the bench. Over the IPC channel it answers:
//   { type: 'stats' }          -> event-loop delay and GC pauses since the last 'stats', then starts a new window
//   { type: 'gc' }             -> forces a collection, replies with live memory (heap + external) and RSS
//   { type: 'profile-start' | 'profile-stop', file } -> a V8 CPU profile (--profile)
//   { type: 'alloc-start' | 'alloc-stop', file }     -> a sampling heap profile of everything allocated,
//                                                       collected or not (--alloc-profile)
//   { type: 'heap-snapshot', file }                  -> a V8 heap snapshot written to file (--heap-diff)
// Changes nothing else: it is inert without an IPC channel, and it never keeps the process alive.
const { monitorEventLoopDelay, PerformanceObserver, constants } = require('perf_hooks');
const inspector = require('inspector');
const { closeSync, openSync, writeFileSync, writeSync } = require('fs');

if (process.send) {
  // The histogram records the interval between ticks of a 10 ms timer; the delay is what exceeds 10 ms.
  const RESOLUTION_MS = 10;
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  histogram.enable();

  // GC pauses per window. 'gc' entries time the collector's pause on the main thread; incremental marking
  // steps and weak callbacks are counted with the minor ones as "other" so no pause is left out.
  const MAX_PAUSES = 200_000; // bounded even if nobody asks for stats
  let pauses = [];
  let major = 0;
  let minor = 0;
  let other = 0;
  let totalMs = 0;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = entry.detail?.kind ?? entry.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) major += 1;
      else if (kind === constants.NODE_PERFORMANCE_GC_MINOR) minor += 1;
      else other += 1;
      totalMs += entry.duration;
      if (pauses.length < MAX_PAUSES) pauses.push(entry.duration);
    }
  }).observe({ entryTypes: ['gc'] });

  const round = (ms) => Math.round(ms * 100) / 100;
  const percentile = (sorted, p) =>
    sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : 0;

  let session;
  process.on('message', (msg) => {
    if (msg?.type === 'stats') {
      const ms = (ns) => round(Math.max(0, ns / 1e6 - RESOLUTION_MS));
      const sorted = pauses.sort((a, b) => a - b);
      process.send({
        type: 'stats',
        loopP50Ms: ms(histogram.percentile(50)),
        loopP99Ms: ms(histogram.percentile(99)),
        loopMaxMs: ms(histogram.max),
        gcPauseP50Ms: round(percentile(sorted, 50)),
        gcPauseP99Ms: round(percentile(sorted, 99)),
        gcPauseMaxMs: round(sorted.length ? sorted[sorted.length - 1] : 0),
        gcTotalMs: round(totalMs),
        majorGcs: major,
        minorGcs: minor,
        otherGcs: other,
      });
      histogram.reset();
      pauses = [];
      major = minor = other = 0;
      totalMs = 0;
    } else if (msg?.type === 'gc') {
      // Memory samples are only comparable after a collection (the bench runs this process with --expose-gc).
      global.gc?.();
      const m = process.memoryUsage();
      process.send({ type: 'gc-done', live: m.heapUsed + m.external, rss: m.rss });
    } else if (msg?.type === 'profile-start') {
      session = new inspector.Session();
      session.connect();
      session.post('Profiler.enable', () =>
        session.post('Profiler.start', () => process.send({ type: 'profile-started' })),
      );
    } else if (msg?.type === 'profile-stop' && session) {
      session.post('Profiler.stop', (err, { profile }) => {
        writeFileSync(msg.file, JSON.stringify(profile));
        session.disconnect();
        process.send({ type: 'profile-stopped' });
      });
    } else if (msg?.type === 'alloc-start') {
      session = new inspector.Session();
      session.connect();
      const sampling = {
        samplingInterval: 4096,
        includeObjectsCollectedByMajorGC: true,
        includeObjectsCollectedByMinorGC: true,
      };
      session.post('HeapProfiler.enable', () =>
        session.post('HeapProfiler.startSampling', sampling, () => process.send({ type: 'alloc-started' })),
      );
    } else if (msg?.type === 'alloc-stop' && session) {
      session.post('HeapProfiler.stopSampling', (err, { profile }) => {
        writeFileSync(msg.file, JSON.stringify(profile));
        session.disconnect();
        process.send({ type: 'alloc-stopped' });
      });
    } else if (msg?.type === 'heap-snapshot') {
      // The snapshot is streamed in chunks; takeHeapSnapshot collects garbage first, so it holds live objects.
      const heap = new inspector.Session();
      heap.connect();
      const fd = openSync(msg.file, 'w');
      heap.on('HeapProfiler.addHeapSnapshotChunk', (m) => writeSync(fd, m.params.chunk));
      global.gc?.();
      heap.post('HeapProfiler.takeHeapSnapshot', { reportProgress: false }, (err) => {
        closeSync(fd);
        heap.disconnect();
        process.send({ type: 'heap-snapshot-done', error: err ? String(err.message ?? err) : undefined });
      });
    }
  });
  // The IPC channel must not keep the process alive on its own...
  process.channel?.unref();
  // ...but if the bench dies without stopping us, shut down (gracefully first) instead of lingering.
  process.on('disconnect', () => {
    setTimeout(() => process.kill(process.pid, 'SIGTERM'), 2000).unref();
    setTimeout(() => process.exit(1), 15_000).unref();
  });
}
