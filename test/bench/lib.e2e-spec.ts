/**
 * The bench's instruments, checked against real processes: the PostgreSQL cluster CPU counter keeps the time
 * of backends that exit (the old per-process sum went negative), the preloaded monitor's heap snapshots and
 * GC counters, and the arithmetic that turns deliveries and ladder steps into figures.
 */
import { ChildProcess, spawn } from 'child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { Client } from 'pg';
import {
  diffHeap,
  ladderFigure,
  procStat,
  sendCounters,
  sendPhasesBetween,
  stepSettled,
  summarizeHeapSnapshot,
  Tracker,
  treeCpuSeconds,
} from './lib';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Tracker', () => {
  it('counts an undelivered message as the timeout in the percentiles, and tells lost from failed', () => {
    const t = new Tracker(10_000);
    for (let i = 0; i < 100; i++) {
      t.expect(`m${i}`, 1, 0);
      t.acknowledged(`m${i}`, 1);
      if (i < 97) t.delivered(`m${i}`, 5); // 5 ms each
    }
    t.expect('f', 1, 0);
    t.failed('f');
    // 3 acked but missing, 1 failed: 4 of 101 count as 10 s, so p99 is the timeout, p50 the real 5 ms.
    expect(t.lost).toBe(3);
    expect(t.errors).toBe(1);
    expect(t.undelivered).toBe(4);
    expect(t.percentile(50)).toBe(5);
    expect(t.percentile(99)).toBe(10_000);
    expect(t.samples()).toHaveLength(101);
  });

  it('caps late deliveries at the timeout and counts duplicates beyond the expected recipients', () => {
    const t = new Tracker(100);
    t.expect('late', 1, 0);
    t.acknowledged('late', 1);
    t.delivered('late', 250);
    t.expect('group', 2, 0);
    t.delivered('group', 3);
    t.delivered('group', 7); // last member at 7 ms
    t.delivered('group', 8); // one too many
    expect(t.samples().sort((a, b) => a - b)).toEqual([7, 100]);
    expect(t.duplicates).toBe(1);
    expect(t.undelivered).toBe(1);
    expect(t.lost).toBe(0);
  });

  it('is pending while an ack or a delivery is outstanding and younger than the timeout', () => {
    const t = new Tracker(1000);
    t.expect('a', 1, 0);
    expect(t.pending(10)).toBe(true); // no ack yet
    t.acknowledged('a', 20);
    expect(t.pending(30)).toBe(true); // acked, not delivered
    expect(t.pending(2000)).toBe(false); // too old to wait for
    t.delivered('a', 40);
    expect(t.pending(50)).toBe(false);
  });
});

describe('ladderFigure', () => {
  const ladder = [250, 500, 1000];
  const step = (offered: number, p99: number, lost = 0) => ({ offered, p99, lost, duplicated: 0 });

  it('says "< first step" instead of 0 when the first step fails', () => {
    expect(ladderFigure([step(250, 80)], ladder, 50)).toEqual({ highest: null, label: '< 250' });
  });

  it('takes the highest step within the limit, and a step that lost messages fails', () => {
    expect(ladderFigure([step(250, 10), step(500, 60)], ladder, 50).label).toBe('250');
    expect(ladderFigure([step(250, 10), step(500, 20, 1)], ladder, 50).label).toBe('250');
  });

  it('counts a step as passed when its second attempt passed, and stops at a step that failed twice', () => {
    expect(
      ladderFigure([step(250, 10), step(500, 60), step(500, 20), step(1000, 70)], ladder, 50).label,
    ).toBe('500');
    expect(ladderFigure([step(250, 10), step(500, 60), step(500, 70)], ladder, 50).label).toBe('250');
    expect(stepSettled([step(500, 60)], 50)).toBe(false);
    expect(stepSettled([step(500, 60), step(500, 70)], 50)).toBe(true);
    expect(stepSettled([step(500, 20)], 50)).toBe(true);
  });

  it('says ">= top step" when the ladder ran out before the server did', () => {
    expect(ladderFigure([step(250, 1), step(500, 2), step(1000, 3)], ladder, 50).label).toBe('>= 1000');
  });
});

describe("send phases from the app's /metrics", () => {
  const exposition = (batches: number, sends: number, seconds: Record<string, number>) =>
    [
      '# HELP send_batch_size Sends stored per batch.',
      '# TYPE send_batch_size histogram',
      `send_batch_size_bucket{le="1"} ${batches}`,
      `send_batch_size_sum ${sends}`,
      `send_batch_size_count ${batches}`,
      '# TYPE send_batch_phase_seconds histogram',
      ...Object.entries(seconds).flatMap(([phase, sum]) => [
        `send_batch_phase_seconds_bucket{le="0.001",phase="${phase}"} 1`,
        `send_batch_phase_seconds_sum{phase="${phase}"} ${sum}`,
        `send_batch_phase_seconds_count{phase="${phase}"} ${batches}`,
      ]),
      'messages_sent_total 99',
    ].join('\n');

  it('gives the mean of each phase over the batches between two scrapes', () => {
    const before = sendCounters(exposition(10, 30, { queued: 0.01, redis: 0.02, statement: 0.05 }));
    const after = sendCounters(exposition(110, 430, { queued: 0.06, redis: 0.07, statement: 0.25 }));
    expect(sendPhasesBetween(before, after)).toEqual({
      batches: 100,
      meanBatch: 4,
      queuedMs: 0.5,
      redisMs: 0.5,
      statementMs: 2,
    });
  });

  it('says nothing when no batch ran, or the server has no such metrics', () => {
    const same = sendCounters(exposition(10, 30, { queued: 0.01, redis: 0.02, statement: 0.05 }));
    expect(sendPhasesBetween(same, same)).toBeUndefined();
    expect(sendPhasesBetween(new Map(), sendCounters('messages_sent_total 1'))).toBeUndefined();
  });
});

describe('PostgreSQL cluster CPU', () => {
  it('keeps the CPU of backends that exited between samples, and never goes backwards', async () => {
    const admin = new Client({ connectionString: process.env.TEST_DATABASE_URL });
    await admin.connect();
    const { rows } = await admin.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    const postmaster = procStat(rows[0].pid).ppid;
    expect(procStat(postmaster).comm).toBe('postgres');
    await admin.end();

    const samples = [treeCpuSeconds(postmaster)];
    let exitedBackends = 0;
    for (let i = 0; i < 4; i++) {
      const c = new Client({ connectionString: process.env.TEST_DATABASE_URL });
      await c.connect();
      const pid = (await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
      await c.query('SELECT count(*) FROM generate_series(1, 3000000)'); // some CPU in this backend
      exitedBackends += procStat(pid).self;
      await c.end();
      for (let w = 0; w < 100 && existsSync(`/proc/${pid}`); w++) await sleep(20); // exited and reaped
      expect(existsSync(`/proc/${pid}`)).toBe(false);
      samples.push(treeCpuSeconds(postmaster));
    }
    for (let i = 1; i < samples.length; i++) expect(samples[i]).toBeGreaterThanOrEqual(samples[i - 1]);
    expect(exitedBackends).toBeGreaterThan(0);
    // Everything those backends used is still in the total (other databases' work can only add to it).
    expect(samples[samples.length - 1] - samples[0]).toBeGreaterThanOrEqual(exitedBackends - 0.011);
  });
});

describe('loop-monitor (preloaded into the measured servers)', () => {
  let child: ChildProcess;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bench-monitor-'));
    // A process holding what it is told to allocate: 1,000 instances of a class only it has, each with a
    // closure defined on line 4 of its script.
    const script = [
      'class BenchProbe {',
      '  constructor(i) {',
      "    this.i = i; this.tag = 'probe-' + i; this.list = [i, i + 1];",
      '    this.get = () => this.i;',
      '  }',
      '}',
      'global.keep = [];',
      'process.on("message", (m) => {',
      '  if (m.type === "alloc") { for (let i = 0; i < 1000; i++) keep.push(new BenchProbe(i)); process.send({ type: "allocated" }); }',
      '  if (m.type === "collect") { global.gc(); process.send({ type: "collected" }); }',
      '});',
      'setInterval(() => {}, 1000);',
      'process.send({ type: "ready" });',
    ].join('\n');
    writeFileSync(join(dir, 'probe.js'), script);
    child = spawn(
      process.execPath,
      ['--expose-gc', '--require', join(__dirname, 'loop-monitor.js'), join(dir, 'probe.js')],
      { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
    );
    await reply('ready');
  });

  afterAll(() => {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  function reply<T = Record<string, unknown>>(type: string, send?: Record<string, unknown>): Promise<T> {
    return new Promise((resolve) => {
      const on = (m: { type?: string }) => {
        if (m?.type !== type) return;
        child.off('message', on);
        resolve(m as T);
      };
      child.on('message', on);
      if (send) child.send(send);
    });
  }

  it('takes heap snapshots whose diff shows the objects allocated in between, per allocation', async () => {
    const snapshot = async (name: string) => {
      const file = join(dir, `${name}.heapsnapshot`);
      const r = await reply<{ error?: string }>('heap-snapshot-done', { type: 'heap-snapshot', file });
      expect(r.error).toBeUndefined();
      return summarizeHeapSnapshot(readFileSync(file, 'utf8'));
    };
    const before = await snapshot('before');
    await reply('allocated', { type: 'alloc' });
    const after = await snapshot('after');
    const { rows, totalBytesPer } = diffHeap(before, after, 1000);
    const probe = rows.find((r) => r.name === 'BenchProbe');
    expect(probe?.countPer).toBe(1);
    expect(probe!.bytesPer).toBeGreaterThan(0);
    expect(totalBytesPer).toBeGreaterThan(probe!.bytesPer); // the tags and arrays too
    expect(rows.some((r) => r.name === '(string)' && r.countPer >= 1)).toBe(true);
    // Closures are named by where they are defined.
    const closure = rows.find(
      (r) => r.name.startsWith('(closure) (anonymous) @ ') && r.name.endsWith('probe.js:4'),
    );
    expect(closure?.countPer).toBe(1);
    // Plain arrays are named by what holds them.
    expect(rows.find((r) => r.name === 'Array in BenchProbe.list')?.countPer).toBe(1);
  });

  it('counts GC pauses per window and starts a new window on each query', async () => {
    await reply('stats', { type: 'stats' }); // new window
    for (let i = 0; i < 3; i++) await reply('collected', { type: 'collect' });
    const stats = await reply<{ majorGcs: number; gcPauseMaxMs: number; loopP99Ms: number }>('stats', {
      type: 'stats',
    });
    expect(stats.majorGcs).toBeGreaterThanOrEqual(3);
    expect(stats.gcPauseMaxMs).toBeGreaterThan(0);
    expect(stats.loopP99Ms).toBeGreaterThanOrEqual(0);
    const next = await reply<{ majorGcs: number }>('stats', { type: 'stats' });
    expect(next.majorGcs).toBe(0);
  });
});
