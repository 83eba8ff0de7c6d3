/**
 * npm run bench [-- --quick] [--profile] [--alloc-profile] [--heap-diff] [--node-flags "..."] [--idle N] [--only a,b]
 *                 [--without-delivery-guarantee]
 *
 * Every scenario runs against the real app (auth, validation, membership, idempotent persist, seq, fan-out
 * through the Redis adapter) and against a bare baseline (test/bench/baseline-server.js), interleaved
 * scenario by scenario (and step by step on the throughput ladder) so both see the same machine state, each
 * after a warm-up that is not counted. Both servers run as their own processes against a dedicated database
 * (messenger_bench, dropped and recreated) and Redis database 7; the load generator is this process. Prints a
 * side-by-side table against the goals of issue 13 and writes bench-results/latest.json. Targets only
 * 127.0.0.x, kills only the processes it started, and ends by itself (a watchdog bounds the whole run).
 *
 * --quick is CI's smoke run: short, and it fails only on a crash, a lost or a duplicated message, never on time.
 * --heap-diff runs only the heap-snapshot diff of 1,000 idle sockets (app and baseline), nothing else.
 * --without-delivery-guarantee runs the app without its delivery outbox and send fence
 * (test/bench/without-delivery-guarantee.js): compare with a normal run to see what the guarantee costs.
 */
import { ChildProcess, execFileSync, spawn } from 'child_process';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'fs';
import { cpus, loadavg } from 'os';
import { join } from 'path';
import { monitorEventLoopDelay } from 'perf_hooks';
import { Client } from 'pg';
import Redis from 'ioredis';
import { io, Socket } from 'socket.io-client';
import {
  cpuOfCommand,
  cpuSeconds,
  diffHeap,
  HeapDiffRow,
  ladderFigure,
  machineBusySeconds,
  machineStealSeconds,
  pct,
  procStat,
  sendCounters,
  SendPhases,
  sendPhasesBetween,
  stepPassed,
  stepSettled,
  STEP_ATTEMPTS,
  summarizeHeapSnapshot,
  Tracker,
  treeCpuSeconds,
} from './lib';

const ROOT = join(__dirname, '..', '..');
const RESULTS = join(ROOT, 'bench-results');
const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(`--${name}`);
const option = (name: string): string | undefined => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const QUICK = flag('quick');
const PROFILE = flag('profile');
const ALLOC_PROFILE = flag('alloc-profile');
const HEAP_DIFF = flag('heap-diff');
const WITHOUT_GUARANTEE = flag('without-delivery-guarantee');

/**
 * The Node flags production starts the app with. Must match the `node ... dist/main.js` line of
 * scripts/start.sh (checked at start-up: a mismatch prints a WARNING). --node-flags "..." replaces them for
 * the app only, to try others; the baseline always runs with these, so app/baseline compares code, not V8 tuning.
 */
const PRODUCTION_NODE_FLAGS = ['--max-semi-space-size=64'];
const APP_NODE_FLAGS = option('node-flags')?.split(/\s+/).filter(Boolean) ?? PRODUCTION_NODE_FLAGS;
const BASELINE_NODE_FLAGS = PRODUCTION_NODE_FLAGS;

/** A p99 above this fails a throughput step. */
const LATENCY_LIMIT_MS = 50;
/** Ack timeout, and the latency counted for a message that did not reach its recipients by then. */
const DELIVERY_TIMEOUT_MS = 10_000;
/** A load generator above this share of a core may itself be what limits the figures. */
const GENERATOR_BOUND_PCT = 70;
/** Other processes above this share of a core during a scenario: the machine was not quiet. */
const NOT_QUIET_PCT = 25;

const P = QUICK
  ? {
      users: 100,
      rate: 200,
      seconds: 5,
      steps: [250, 500, 1000],
      stepSeconds: 3,
      pairs: 200,
      pairRates: [500],
      pairSeconds: 3,
      history: 50_000,
      pages: 200,
      group: 100,
      groupRate: 10,
      groupSeconds: 3,
      idle: 1000,
      warmSeconds: 1,
      warmRate: 200,
    }
  : {
      users: 2000,
      rate: 1000,
      seconds: 30,
      steps: [250, 500, 750, 1000, 1500, 2000, 3000, 4000, 6000, 8000],
      stepSeconds: 10,
      pairs: 200,
      pairRates: [500, 1000, 1500],
      pairSeconds: 15,
      history: 1_000_000,
      pages: 1000,
      group: 1000,
      groupRate: 20,
      groupSeconds: 15,
      idle: Number(option('idle') ?? 18_000),
      warmSeconds: 3,
      warmRate: 500,
    };
const HEAP_DIFF_SOCKETS = 1000;
/** `--only latency,pairs`: run just these scenarios (latency, throughput, group, pairs, history, idle), to iterate. */
const ONLY = option('only')?.split(',');
const runs = (scenario: string) => !ONLY || ONLY.includes(scenario);
/** The whole run is bounded: past this the bench stops its servers and fails. */
const WATCHDOG_MS = (HEAP_DIFF ? 10 : QUICK ? 10 : 45) * 60_000;

const PG_ADMIN = 'postgres://postgres:postgres@127.0.0.1:5432/postgres';
const DB_URL = 'postgres://postgres:postgres@127.0.0.1:5432/messenger_bench';
const REDIS_URL = 'redis://127.0.0.1:6379/7';
const JWT_SECRET = 'bench-secret-bench-secret-bench-secret-0123';

const warnings: string[] = [];
/** Scenarios during which other processes were busy; summarised once at the end. */
const notQuiet: { label: string; pct: number }[] = [];
function warn(text: string, quiet = false): void {
  if (!quiet) warnings.push(text);
  console.log(`WARNING: ${text}`);
}
const startedAt = performance.now();
const elapsed = () => `${Math.round((performance.now() - startedAt) / 1000)}s`;

// ---------- measured processes ----------

type Name = 'app' | 'baseline';
const NAMES: Name[] = ['app', 'baseline'];

interface Server {
  name: Name;
  url: string;
  proc: ChildProcess;
  pid: number;
  flags: string[];
  /** the server's stdout and stderr */
  logFile: string;
}

function logTail(file: string, lines: number): string {
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

/** How much a server logged, and how much of it at error level (pino level >= 50). */
function logSummary(server: Server): { lines: number; errors: number } {
  const lines = readFileSync(server.logFile, 'utf8').split('\n').filter(Boolean);
  return { lines: lines.length, errors: lines.filter((l) => /"level":(5|6)\d/.test(l)).length };
}

const started: Server[] = [];
const crashed: string[] = [];
let stopping = false;

async function startServer(name: Name, port: number): Promise<Server> {
  const entry = name === 'app' ? join(ROOT, 'dist', 'main.js') : join(__dirname, 'baseline-server.js');
  const flags = name === 'app' ? APP_NODE_FLAGS : BASELINE_NODE_FLAGS;
  const logFile = join(RESULTS, `${name}.log`);
  const log = openSync(logFile, 'w');
  const proc = spawn(
    process.execPath,
    [
      ...flags,
      '--expose-gc',
      '--require',
      join(__dirname, 'loop-monitor.js'),
      ...(name === 'app' && WITHOUT_GUARANTEE
        ? ['--require', join(__dirname, 'without-delivery-guarantee.js')]
        : []),
      entry,
    ],
    {
      env: {
        ...process.env,
        NODE_ENV: 'production',
        PORT: String(port),
        DATABASE_URL: DB_URL,
        REDIS_URL,
        JWT_SECRET,
        LOG_LEVEL: 'warn',
        BCRYPT_ROUNDS: '4',
        THROTTLE_AUTH_PER_MINUTE: '1000000',
        THROTTLE_SEND_PER_10S: '1000000',
      },
      // An overloaded app logs an error per failed send; the log goes to a file, the summary says how much.
      stdio: ['ignore', log, log, 'ipc'],
    },
  );
  closeSync(log);
  const server: Server = { name, url: `http://127.0.0.1:${port}`, proc, pid: proc.pid!, flags, logFile };
  started.push(server);
  proc.on('exit', (code, signal) => {
    if (stopping) return;
    crashed.push(name);
    console.error(
      `[${name}] server process exited unexpectedly: code ${code}, signal ${signal}; its last output:`,
    );
    console.error(logTail(logFile, 20));
  });
  for (let i = 0; i < 150; i++) {
    try {
      await fetch(
        name === 'app'
          ? `${server.url}/api/health`
          : `${server.url}/history?chatId=00000000-0000-4000-8000-000000000000`,
      );
      return server;
    } catch {
      if (crashed.includes(name)) break;
      await sleep(200);
    }
  }
  throw new Error(`${name} did not start`);
}

function assertAlive(): void {
  if (crashed.length) throw new Error(`server crashed: ${crashed.join(', ')}`);
}

function stopServers(): void {
  stopping = true;
  for (const s of started) if (s.proc.exitCode === null && s.proc.signalCode === null) s.proc.kill('SIGTERM');
}

/** The flags scripts/start.sh gives `node ... dist/main.js`; undefined if the line is not found. */
function startScriptFlags(): string[] | undefined {
  const text = readFileSync(join(ROOT, 'scripts', 'start.sh'), 'utf8');
  const line = /^\s*exec\s+node\s+(.*?)\s*dist\/main\.js/m.exec(text);
  return line ? line[1].split(/\s+/).filter(Boolean) : undefined;
}

function ipc<R = unknown>(
  server: Server,
  message: Record<string, unknown>,
  reply: string,
  timeoutMs = 60_000,
): Promise<R> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      server.proc.off('message', onMessage);
      reject(new Error(`[${server.name}] no ${reply} over IPC within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (m: { type?: string }) => {
      if (m?.type !== reply) return;
      clearTimeout(timer);
      server.proc.off('message', onMessage);
      resolve(m as R);
    };
    server.proc.on('message', onMessage);
    server.proc.send(message);
  });
}

interface ServerStats {
  loopP50Ms: number;
  loopP99Ms: number;
  loopMaxMs: number;
  gcPauseP50Ms: number;
  gcPauseP99Ms: number;
  gcPauseMaxMs: number;
  gcTotalMs: number;
  majorGcs: number;
  minorGcs: number;
  otherGcs: number;
}
const serverStats = (server: Server) =>
  ipc<ServerStats & { type?: string }>(server, { type: 'stats' }, 'stats');

/** Self time per function in a V8 CPU profile, most expensive first. */
function topFunctions(file: string, count = 25): string[] {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as {
    nodes: {
      id: number;
      hitCount: number;
      callFrame: { functionName: string; url: string; lineNumber: number };
    }[];
  };
  const total = profile.nodes.reduce((sum, n) => sum + n.hitCount, 0);
  const byFn = new Map<string, number>();
  for (const n of profile.nodes) {
    const where = n.callFrame.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/dist\//, 'dist/');
    const key = `${n.callFrame.functionName || '(anonymous)'} ${where}:${n.callFrame.lineNumber + 1}`;
    byFn.set(key, (byFn.get(key) ?? 0) + n.hitCount);
  }
  return [...byFn.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([fn, hits]) => `${((hits / total) * 100).toFixed(1).padStart(5)}%  ${fn}`);
}

/** Bytes allocated per function in a sampling heap profile, per message, most first. */
function topAllocations(file: string, messages: number, count = 20): string[] {
  type Node = {
    callFrame: { functionName: string; url: string; lineNumber: number };
    selfSize: number;
    children: Node[];
  };
  const { head } = JSON.parse(readFileSync(file, 'utf8')) as { head: Node };
  const bySite = new Map<string, number>();
  let total = 0;
  const walk = (n: Node) => {
    const where = n.callFrame.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/dist\//, 'dist/');
    const key = `${n.callFrame.functionName || '(anonymous)'} ${where}:${n.callFrame.lineNumber + 1}`;
    bySite.set(key, (bySite.get(key) ?? 0) + n.selfSize);
    total += n.selfSize;
    n.children.forEach(walk);
  };
  walk(head);
  const kb = (bytes: number) => (bytes / messages / 1024).toFixed(1).padStart(8);
  return [
    `${kb(total)} KB  in all`,
    ...[...bySite.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, count)
      .map(([site, bytes]) => `${kb(bytes)} KB  ${site}`),
  ];
}

// ---------- CPU accounting ----------

let postmasterPid = NaN;

/** The postmaster is the parent of our own backend; pgrep's oldest postgres process if that fails. */
async function findPostmaster(): Promise<number> {
  const db = new Client({ connectionString: PG_ADMIN });
  await db.connect();
  try {
    const { rows } = await db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    const parent = procStat(rows[0].pid).ppid;
    if (procStat(parent).comm === 'postgres') return parent;
  } catch {
    // PostgreSQL on another host or in a namespace we cannot see
  } finally {
    await db.end();
  }
  try {
    return Number(execFileSync('pgrep', ['-o', '-x', 'postgres'], { encoding: 'utf8' }).trim());
  } catch {
    return NaN;
  }
}

function postgresCpu(): number {
  try {
    return treeCpuSeconds(postmasterPid);
  } catch {
    return NaN;
  }
}

// This process's own event-loop delay (beyond the 10 ms timer, as the servers'): a late generator inflates latency.
const generatorLoop = monitorEventLoopDelay({ resolution: 10 });
generatorLoop.enable();

interface Measured extends ServerStats {
  wallSeconds: number;
  /** % of one core over the scenario */
  cpuPct: number;
  postgresCpuPct: number;
  redisCpuPct: number;
  genCpuPct: number;
  /** busy CPU of every process that is not ours, PostgreSQL or Redis (other engineers, the OS) */
  otherCpuPct: number;
  /** CPU the VM's host took for other guests while this machine had work (steal) */
  stealCpuPct: number;
  /** ms of CPU per persisted message (scenarios that send) */
  cpuMsPerMsg?: number;
  postgresMsPerMsg?: number;
  redisMsPerMsg?: number;
  genMsPerMsg?: number;
  genLoopP99Ms: number;
  generatorBound: boolean;
  machineNotQuiet: boolean;
  /** the send batches meanwhile, from the server's /metrics (where a send's time goes before its ack) */
  sendPhases?: SendPhases;
}

/**
 * The send-batch counters now (the baseline serves its INSERTs as batches of one, with the INSERT as the
 * statement); empty after a failed scrape.
 */
async function scrapeSendCounters(server: Server): Promise<Map<string, number>> {
  try {
    const res = await fetch(`${server.url}/metrics`);
    return res.ok ? sendCounters(await res.text()) : new Map();
  } catch {
    return new Map();
  }
}

/**
 * Runs fn while measuring CPU of the server, the PostgreSQL cluster, Redis, this generator and the rest of
 * the machine, and the server's event-loop delay and GC pauses. Warns when the generator or the rest of the
 * machine may have limited the figures.
 */
async function measured<T extends object>(
  server: Server,
  label: string,
  fn: () => Promise<T>,
): Promise<T & Measured> {
  await serverStats(server); // start a fresh window
  const sends0 = await scrapeSendCounters(server);
  const ours = () => started.reduce((sum, s) => sum + safe(() => cpuSeconds(s.pid)), 0);
  const cpu0 = cpuSeconds(server.pid);
  const all0 = ours();
  const pg0 = postgresCpu();
  const redis0 = cpuOfCommand('redis-server');
  const machine0 = machineBusySeconds();
  const steal0 = machineStealSeconds();
  const gen0 = process.cpuUsage();
  generatorLoop.reset();
  const t0 = performance.now();
  const result = await fn();
  const wall = (performance.now() - t0) / 1000;
  const gen = (({ user, system }) => (user + system) / 1e6)(process.cpuUsage(gen0));
  const cpu = cpuSeconds(server.pid) - cpu0;
  const all = ours() - all0;
  const pg = postgresCpu() - pg0;
  const redis = cpuOfCommand('redis-server') - redis0;
  const machine = machineBusySeconds() - machine0;
  const steal = machineStealSeconds() - steal0;
  const { type: _type, ...stats } = await serverStats(server);
  const sendPhases = sendPhasesBetween(sends0, await scrapeSendCounters(server));
  const pctOf = (seconds: number) => Math.round((seconds / wall) * 100);
  const persisted = (result as { persisted?: number }).persisted;
  const perMsg = (seconds: number) =>
    persisted ? Math.round(((seconds * 1000) / persisted) * 1000) / 1000 : undefined;
  const m: Measured = {
    ...stats,
    wallSeconds: Math.round(wall * 10) / 10,
    cpuPct: pctOf(cpu),
    postgresCpuPct: pctOf(pg),
    redisCpuPct: pctOf(redis),
    genCpuPct: pctOf(gen),
    otherCpuPct: Math.max(0, pctOf(machine - steal - all - pg - (redis || 0) - gen)),
    stealCpuPct: pctOf(steal),
    cpuMsPerMsg: perMsg(cpu),
    postgresMsPerMsg: perMsg(pg),
    redisMsPerMsg: perMsg(redis),
    genMsPerMsg: perMsg(gen),
    genLoopP99Ms: Math.max(0, Math.round((generatorLoop.percentile(99) / 1e6 - 10) * 100) / 100),
    generatorBound: false,
    machineNotQuiet: false,
    sendPhases,
  };
  if (m.genCpuPct > GENERATOR_BOUND_PCT) {
    m.generatorBound = true;
    warn(
      `[${server.name}] ${label}: the load generator used ${m.genCpuPct} % of a core (> ${GENERATOR_BOUND_PCT} %); it may be the bottleneck, so these figures may understate the server`,
    );
  }
  if (m.otherCpuPct + m.stealCpuPct > NOT_QUIET_PCT) {
    m.machineNotQuiet = true;
    notQuiet.push({ label: `[${server.name}] ${label}`, pct: m.otherCpuPct + m.stealCpuPct });
    warn(
      `[${server.name}] ${label}: other processes used ${m.otherCpuPct} % of a core meanwhile and the VM's host took ${m.stealCpuPct} % (steal); the machine was not quiet`,
      true,
    );
  }
  return { ...result, ...m };
}

function safe(fn: () => number): number {
  try {
    return fn();
  } catch {
    return 0;
  }
}

// ---------- clients ----------

interface User {
  id: string;
  token: string;
}

interface Pair {
  a: number;
  b: number;
  chatId: string;
}

/** Connects one client; resolves with the socket and its handshake time (ms from io() to 'connect'). */
function connect(
  server: Server,
  user: User,
  opts: { rooms?: string[]; localAddress?: string } = {},
): Promise<Socket & { handshakeMs?: number }> {
  const t = performance.now();
  const socket: Socket & { handshakeMs?: number } = io(server.url, {
    path: '/socket.io',
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    timeout: 20_000,
    auth: server.name === 'app' ? { token: user.token } : { userId: user.id, rooms: opts.rooms ?? [] },
    ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => {
      socket.handshakeMs = performance.now() - t;
      resolve(socket);
    });
    socket.once('connect_error', (err) => {
      socket.close();
      reject(err);
    });
  });
}

async function inBatches<T, R>(
  items: T[],
  size: number,
  fn: (item: T, i: number) => Promise<R>,
): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size)
    out.push(...(await Promise.all(items.slice(i, i + size).map((it, j) => fn(it, i + j)))));
  return out;
}

function sendOne(
  server: Server,
  socket: Socket,
  tracker: Tracker,
  msg: { chatId: string; to?: string; room?: string; clientMsgId: string },
) {
  const event = server.name === 'app' ? 'message:send' : 'send';
  const payload =
    server.name === 'app'
      ? { chatId: msg.chatId, text: `bench ${msg.clientMsgId}`, clientMsgId: msg.clientMsgId }
      : {
          chatId: msg.chatId,
          to: msg.to,
          room: msg.room,
          text: `bench ${msg.clientMsgId}`,
          clientMsgId: msg.clientMsgId,
        };
  socket.timeout(DELIVERY_TIMEOUT_MS).emit(event, payload, (err: unknown, ack: { ok: boolean }) => {
    if (err || !ack?.ok) tracker.failed(msg.clientMsgId);
    else tracker.acknowledged(msg.clientMsgId);
  });
}

function listen(server: Server, sockets: Socket[], tracker: Tracker): void {
  const event = server.name === 'app' ? 'message:new' : 'msg';
  for (const s of sockets) {
    s.removeAllListeners(event);
    s.on(event, (m: { clientMsgId: string }) => tracker.delivered(m.clientMsgId));
  }
}

/** Waits until every message is delivered, failed, or older than the delivery timeout. */
async function drain(tracker: Tracker): Promise<void> {
  const deadline = performance.now() + DELIVERY_TIMEOUT_MS + 2000;
  while (tracker.pending() && performance.now() < deadline) await sleep(20);
}

interface Route {
  from: Socket;
  chatId: string;
  to: string;
}

interface LoadResult {
  offered: number;
  sent: number;
  sentPerSec: number;
  persisted: number;
  persistedPerSec: number;
  deliveredPerSec: number;
  p50: number;
  p99: number;
  max: number;
  errors: number;
  lost: number;
  duplicated: number;
  undelivered: number;
}

let runId = 0;
/**
 * Offers `rate` direct messages per second for `seconds` along `route(n)`, then waits for them. Achieved
 * rates: sent over the send window, persisted (acked) and delivered from the first send to the last ack or
 * delivery, so a queue that drains late does not pass for throughput.
 */
async function offerLoad(
  server: Server,
  listeners: Socket[],
  route: (n: number) => Route,
  rate: number,
  seconds: number,
  prefix = 'r',
): Promise<LoadResult> {
  assertAlive();
  const tracker = new Tracker(DELIVERY_TIMEOUT_MS);
  listen(server, listeners, tracker);
  const run = ++runId;
  const total = Math.round(rate * seconds);
  const start = performance.now();
  let n = 0;
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate));
      for (; n < due; n++) {
        const r = route(n);
        const id = `${prefix}${run}-${n}`;
        tracker.expect(id, 1);
        sendOne(server, r.from, tracker, { chatId: r.chatId, to: r.to, clientMsgId: id });
      }
      if (n >= total) {
        clearInterval(tick);
        resolve();
      }
    }, 5);
  });
  const sendSeconds = (performance.now() - start) / 1000;
  await drain(tracker);
  const per = (count: number, until: number) =>
    count ? Math.round(count / Math.max(sendSeconds, (until - tracker.firstSendAt) / 1000)) : 0;
  return {
    offered: rate,
    sent: total,
    sentPerSec: Math.round(total / sendSeconds),
    persisted: tracker.acked,
    persistedPerSec: per(tracker.acked, tracker.lastAckAt),
    deliveredPerSec: per(tracker.deliveries, tracker.lastDeliveryAt),
    p50: tracker.percentile(50),
    p99: tracker.percentile(99),
    max: tracker.percentile(100),
    errors: tracker.errors,
    lost: tracker.lost,
    duplicated: tracker.duplicates,
    undelivered: tracker.undelivered,
  };
}

/** Warm-ups are not measured, but what they lose or duplicate still counts. */
const warmups: Record<Name, { sent: number; lost: number; duplicated: number; errors: number }> = {
  app: { sent: 0, lost: 0, duplicated: 0, errors: 0 },
  baseline: { sent: 0, lost: 0, duplicated: 0, errors: 0 },
};
function counted(
  server: Server,
  r: { sent: number; lost: number; duplicated: number; errors: number },
): void {
  const w = warmups[server.name];
  w.sent += r.sent;
  w.lost += r.lost;
  w.duplicated += r.duplicated;
  w.errors += r.errors;
  if (r.lost || r.duplicated)
    console.log(`[${server.name}] warm-up: ${r.lost} lost, ${r.duplicated} duplicated of ${r.sent}`);
}

const fmt = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '-' : String(x));

function describe(server: Server, label: string, r: LoadResult & Measured): void {
  console.log(
    `[${server.name}] ${label}: p50 ${r.p50} p99 ${r.p99} ms; sent ${r.sentPerSec}/s, persisted ${r.persistedPerSec}/s, delivered ${r.deliveredPerSec}/s; ` +
      `errors ${r.errors}, lost ${r.lost}, dup ${r.duplicated}; CPU % server ${r.cpuPct} pg ${r.postgresCpuPct} gen ${r.genCpuPct} other ${r.otherCpuPct} steal ${r.stealCpuPct}; ` +
      `loop p99 ${r.loopP99Ms} ms, GC p99 ${r.gcPauseP99Ms} ms (${r.majorGcs} major)`,
  );
  const b = r.sendPhases;
  if (b && Number.isNaN(b.redisMs))
    console.log(`[${server.name}]   ${b.batches} INSERTs, ${b.statementMs} ms each on average`);
  else if (b)
    console.log(
      `[${server.name}]   ${b.batches} send batches of ${b.meanBatch} on average; mean ms per batch: ` +
        `queued ${b.queuedMs}, Redis ${b.redisMs}, statement ${b.statementMs}`,
    );
}

// ---------- setup ----------

async function prepareDatabase(): Promise<void> {
  const admin = new Client({ connectionString: PG_ADMIN });
  await admin.connect();
  await admin.query('DROP DATABASE IF EXISTS messenger_bench WITH (FORCE)');
  await admin.query('CREATE DATABASE messenger_bench');
  await admin.end();
  execFileSync(process.execPath, [join(ROOT, 'dist', 'cli', 'prepare-db.js')], {
    env: { ...process.env, DATABASE_URL: DB_URL },
    stdio: 'ignore',
  });
  const db = new Client({ connectionString: DB_URL });
  await db.connect();
  // The baseline's table: the same columns and the same (chat_id, seq) index, nothing else.
  await db.query(`CREATE TABLE baseline_messages (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(), chat_id uuid NOT NULL, seq integer NOT NULL, sender_id uuid NOT NULL,
    client_msg_id varchar(64) NOT NULL, text varchar(4096), created_at timestamptz NOT NULL DEFAULT now())`);
  await db.query('CREATE INDEX ON baseline_messages (chat_id, seq)');
  await db.end();
  const redis = new Redis(REDIS_URL);
  await redis.flushdb();
  await redis.quit();
}

async function api(
  server: Server,
  method: string,
  path: string,
  body?: unknown,
  token?: string,
): Promise<any> {
  const res = await fetch(`${server.url}/api${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

async function registerUsers(app: Server, count: number): Promise<User[]> {
  return inBatches(
    Array.from({ length: count }, (_, i) => i),
    25,
    async (i) => {
      const r = await api(app, 'POST', '/auth/register', {
        email: `b${i}@bench.local`,
        username: `bench_${i}`,
        password: 'bench-password',
      });
      return { id: r.user.id as string, token: r.accessToken as string };
    },
  );
}

// ---------- scenarios ----------

interface Target {
  server: Server;
  /** P.users clients; the first P.group of them are in the group */
  sockets: Socket[];
}

/** Main clients: alternate direction over the pairs of P.users clients. */
function mainRoute(t: Target, users: User[], pairs: Pair[]) {
  return (n: number): Route => {
    const pair = pairs[n % pairs.length];
    const [from, to] = Math.floor(n / pairs.length) % 2 ? [pair.b, pair.a] : [pair.a, pair.b];
    return { from: t.sockets[from], chatId: pair.chatId, to: users[to].id };
  };
}

/** Longest wait for a server to recover from the previous run before the next is measured anyway. */
const SETTLE_LIMIT_MS = QUICK ? 5_000 : 30_000;

/**
 * Waits until the server answers a probe (10 messages at 50/s) within the latency limit, without errors.
 * An overloaded app can stay slow long after the burst; without this, a run would measure the previous
 * run's hangover instead of its own load. How long it took is reported (and warned about past 3 s).
 */
async function settle(server: Server, listeners: Socket[], route: (n: number) => Route, label: string) {
  const t = performance.now();
  let probe: LoadResult;
  for (;;) {
    probe = await offerLoad(server, listeners, route, 50, 0.2, 's');
    counted(server, probe);
    if (probe.errors === 0 && probe.undelivered === 0 && probe.p99 <= LATENCY_LIMIT_MS) break;
    if (performance.now() - t > SETTLE_LIMIT_MS) break;
    await sleep(1000);
  }
  const settleSeconds = Math.round((performance.now() - t) / 100) / 10;
  const settled = probe.errors === 0 && probe.undelivered === 0 && probe.p99 <= LATENCY_LIMIT_MS;
  if (!settled)
    warn(
      `[${server.name}] ${label}: still slow after ${settleSeconds} s (probe p99 ${probe.p99} ms, ${probe.errors} errors); measured anyway`,
    );
  else if (settleSeconds > 3)
    warn(`[${server.name}] ${label}: needed ${settleSeconds} s to recover from the previous run`);
  return { settleSeconds, settled };
}

/**
 * With `--profile`, a CPU profile of the server (app and baseline alike) while `fn` runs; with
 * `--alloc-profile`, a sampling heap profile of what it allocated meanwhile (collected or not), per message.
 * Both written to bench-results/ and summarised.
 */
async function profiled<T extends { messages?: number; sent?: number }>(
  server: Server,
  scenario: string,
  fn: () => Promise<T>,
): Promise<T> {
  const kind = PROFILE ? 'profile' : ALLOC_PROFILE ? 'alloc' : undefined;
  if (!kind) return fn();
  await ipc(server, { type: `${kind}-start` }, `${kind}-started`);
  const r = await fn();
  const file = join(
    RESULTS,
    `${server.name}-${scenario}.${kind === 'profile' ? 'cpuprofile' : 'heapprofile'}`,
  );
  await ipc(server, { type: `${kind}-stop`, file }, `${kind}-stopped`);
  if (kind === 'profile') {
    console.log(`CPU profile of the ${server.name} during the ${scenario} scenario (${file}), self time:`);
    topFunctions(file).forEach((line) => console.log(`  ${line}`));
  } else {
    const messages = r.messages ?? r.sent ?? 1;
    console.log(`Allocation of the ${server.name} during the ${scenario} scenario (${file}), per message:`);
    topAllocations(file, messages).forEach((line) => console.log(`  ${line}`));
  }
  return r;
}

async function scenarioLatency(t: Target, users: User[], pairs: Pair[]) {
  const route = mainRoute(t, users, pairs);
  const before = await settle(t.server, t.sockets, route, 'latency');
  counted(
    t.server,
    await offerLoad(t.server, t.sockets, route, Math.min(P.warmRate, P.rate), P.warmSeconds, 'w'),
  );
  const r = await profiled(t.server, 'latency', () =>
    measured(t.server, 'latency', () => offerLoad(t.server, t.sockets, route, P.rate, P.seconds)),
  );
  describe(t.server, `latency ${P.rate} msg/s`, r);
  Object.assign(r, before);
  return r;
}

/**
 * The ladder, step by step for both targets in turn. A failed step is measured once more (STEP_ATTEMPTS),
 * for both targets alike; a target stops after a step none of whose attempts passed.
 */
async function scenarioThroughput(targets: Target[], users: User[], pairs: Pair[]) {
  const steps = new Map<Name, (LoadResult & Measured & { attempt: number })[]>(
    targets.map((t) => [t.server.name, []]),
  );
  for (const t of targets)
    counted(
      t.server,
      await offerLoad(t.server, t.sockets, mainRoute(t, users, pairs), P.warmRate, P.warmSeconds, 'w'),
    );
  // Still climbing: every step so far passed, i.e. the ladder's figure is the last step tried (or none yet).
  const passedEvery = (t: Target) => {
    const own = steps.get(t.server.name)!;
    return ladderFigure(own, P.steps, LATENCY_LIMIT_MS).highest === (own.at(-1)?.offered ?? null);
  };
  for (const rate of P.steps) {
    const climbing = targets.filter(passedEvery);
    if (climbing.length === 0) break;
    for (let attempt = 1; attempt <= STEP_ATTEMPTS; attempt++) {
      const trying = climbing.filter(
        (t) =>
          !stepSettled(
            steps.get(t.server.name)!.filter((s) => s.offered === rate),
            LATENCY_LIMIT_MS,
          ),
      );
      if (trying.length === 0) break;
      const again = attempt > 1 ? ` (attempt ${attempt})` : '';
      for (const t of trying) {
        const label = `throughput ${rate} msg/s${again}`;
        const before = await settle(t.server, t.sockets, mainRoute(t, users, pairs), label);
        const step = await measured(t.server, label, () =>
          offerLoad(t.server, t.sockets, mainRoute(t, users, pairs), rate, P.stepSeconds),
        );
        describe(t.server, `throughput step ${rate} msg/s${again}`, step);
        steps.get(t.server.name)!.push({ ...step, ...before, attempt });
        await sleep(500);
      }
    }
  }
  return new Map(
    targets.map((t) => {
      const own = steps.get(t.server.name)!;
      const figure = ladderFigure(own, P.steps, LATENCY_LIMIT_MS);
      const at = own.find((s) => s.offered === figure.highest && stepPassed(s, LATENCY_LIMIT_MS));
      return [
        t.server.name,
        {
          highestStepWithinLimit: figure.highest,
          figure: figure.label,
          persistedPerSecAtFigure: at?.persistedPerSec ?? null,
          deliveredPerSecAtFigure: at?.deliveredPerSec ?? null,
          steps: own,
        },
      ];
    }),
  );
}

async function scenarioGroup(t: Target, users: User[], pairs: Pair[]) {
  const { server } = t;
  const members = users.slice(0, P.group);
  let chatId = '22222222-2222-4222-8222-222222222222';
  if (server.name === 'app') {
    // The API takes at most 100 ids per request: create with the first, add the rest in steps.
    const others = members.slice(1).map((u) => u.id);
    const group = await api(
      server,
      'POST',
      '/groups',
      { name: 'Bench', memberIds: others.slice(0, 100) },
      members[0].token,
    );
    for (let i = 100; i < others.length; i += 100)
      await api(
        server,
        'POST',
        `/groups/${group.id}/members`,
        { userIds: others.slice(i, i + 100) },
        members[0].token,
      );
    chatId = group.chatId;
  }
  const run = async (messages: number, prefix: string) => {
    assertAlive();
    const tracker = new Tracker(DELIVERY_TIMEOUT_MS);
    listen(server, t.sockets.slice(0, P.group), tracker);
    for (let n = 0; n < messages; n++) {
      const id = `${prefix}${++runId}`;
      tracker.expect(id, P.group - 1);
      sendOne(server, t.sockets[0], tracker, { chatId, room: 'group:bench', clientMsgId: id });
      await sleep(1000 / P.groupRate);
    }
    await drain(tracker);
    return tracker;
  };
  const before = await settle(server, t.sockets, mainRoute(t, users, pairs), 'group');
  const warm = await run(Math.ceil(P.groupRate * Math.min(P.warmSeconds, 2)), 'gw');
  counted(server, { sent: warm.count, lost: warm.lost, duplicated: warm.duplicates, errors: warm.errors });
  const r = await profiled(server, 'group', () =>
    measured(server, 'group', async () => {
      const tracker = await run(P.groupRate * P.groupSeconds, 'g');
      return {
        members: P.group,
        messages: tracker.count,
        persisted: tracker.acked,
        lastMemberP50: tracker.percentile(50),
        lastMemberP99: tracker.percentile(99),
        lost: tracker.lost,
        duplicated: tracker.duplicates,
        errors: tracker.errors,
        undelivered: tracker.undelivered,
      };
    }),
  );
  console.log(
    `[${server.name}] group of ${P.group}: last member p50 ${r.lastMemberP50} p99 ${r.lastMemberP99} ms; lost ${r.lost}, dup ${r.duplicated}, errors ${r.errors}`,
  );
  return { ...r, ...before };
}

/** The pairs pattern: `pairs` senders and receivers, each on its own connection, one direction. */
async function scenarioPairs(targets: Target[], users: User[], pairs: Pair[]) {
  const own = await Promise.all(
    targets.map(async (t) => {
      const senders = await inBatches(pairs.slice(0, P.pairs), 100, (p) => connect(t.server, users[p.a]));
      const receivers = await inBatches(pairs.slice(0, P.pairs), 100, (p) => connect(t.server, users[p.b]));
      const route = (n: number): Route => {
        const i = n % P.pairs;
        return { from: senders[i], chatId: pairs[i].chatId, to: users[pairs[i].b].id };
      };
      return { t, senders, receivers, route };
    }),
  );
  const results = new Map<Name, (LoadResult & Measured)[]>(targets.map((t) => [t.server.name, []]));
  for (const o of own)
    counted(o.t.server, await offerLoad(o.t.server, o.receivers, o.route, P.warmRate, P.warmSeconds, 'w'));
  for (const rate of P.pairRates) {
    for (const o of own) {
      const before = await settle(o.t.server, o.receivers, o.route, `pairs ${rate} msg/s`);
      const r = await measured(o.t.server, `pairs ${rate} msg/s`, () =>
        offerLoad(o.t.server, o.receivers, o.route, rate, P.pairSeconds),
      );
      describe(o.t.server, `${P.pairs} pairs, ${rate} msg/s`, r);
      results.get(o.t.server.name)!.push({ ...r, ...before });
      await sleep(500);
    }
  }
  for (const o of own) [...o.senders, ...o.receivers].forEach((s) => s.close());
  return results;
}

async function prepareHistory(server: Server, owner: User): Promise<string> {
  const db = new Client({ connectionString: DB_URL });
  await db.connect();
  let chatId: string;
  if (server.name === 'app') {
    chatId = (await api(server, 'POST', '/chats/direct', { userId: owner.id }, owner.token)).id;
    await db.query(
      `INSERT INTO messages (chat_id, seq, sender_id, client_msg_id, text)
       SELECT $1, g, $2, 'hist-' || g, 'history message number ' || g FROM generate_series(1, $3::int) g`,
      [chatId, owner.id, P.history],
    );
    await db.query('UPDATE chats SET last_seq = $2 WHERE id = $1', [chatId, P.history]);
  } else {
    chatId = '11111111-1111-4111-8111-111111111111';
    await db.query(
      `INSERT INTO baseline_messages (chat_id, seq, sender_id, client_msg_id, text)
       SELECT $1, g, $2, 'hist-' || g, 'history message number ' || g FROM generate_series(1, $3::int) g`,
      [chatId, owner.id, P.history],
    );
  }
  await db.end();
  return chatId;
}

async function scenarioHistory(server: Server, owner: User, chatId: string) {
  const page = (q: string) =>
    server.name === 'app'
      ? fetch(`${server.url}/api/history/${chatId}?limit=50&${q}`, {
          headers: { authorization: `Bearer ${owner.token}` },
        })
      : fetch(`${server.url}/history?chatId=${chatId}&limit=50&${q}`);
  const timeIt = async (q: string) => {
    const t = performance.now();
    const res = await page(q);
    const items = ((await res.json()) as { items: unknown[] }).items;
    if (items.length !== 50) throw new Error(`history page of ${items.length}`);
    return performance.now() - t;
  };
  const random = (max: number) => Math.floor(Math.random() * max);
  for (let i = 0; i < 30; i++) await timeIt(`beforeSeq=${51 + random(P.history - 50)}`); // warm-up
  const keyset: number[] = [];
  const offsetShallow: number[] = [];
  const offsetDeep: number[] = [];
  const r = await measured(server, 'history', async () => {
    for (let i = 0; i < P.pages; i++) {
      assertAlive();
      keyset.push(await timeIt(`beforeSeq=${51 + random(P.history - 50)}`));
      if (i % 2) offsetShallow.push(await timeIt(`offset=${random(P.history * 0.1)}`));
      else
        offsetDeep.push(await timeIt(`offset=${Math.floor(P.history * 0.9) + random(P.history * 0.1 - 50)}`));
    }
    return {
      keysetP50: pct(keyset, 50),
      keysetP99: pct(keyset, 99),
      offsetShallowP99: pct(offsetShallow, 99),
      offsetDeepP99: pct(offsetDeep, 99),
    };
  });
  console.log(`[${server.name}] history: keyset p50 ${r.keysetP50} p99 ${r.keysetP99} ms`);
  return r;
}

const ADDRESSES = ['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4'];

/** Connects `count` clients (200 handshakes in flight), spread over four source addresses for the port range. */
async function connectMany(server: Server, users: User[], count: number) {
  const sockets: (Socket & { handshakeMs?: number })[] = [];
  let failed = 0;
  const t = performance.now();
  await inBatches(
    Array.from({ length: count }, (_, i) => i),
    200,
    async (i) => {
      try {
        sockets.push(
          await connect(server, users[i % users.length], { localAddress: ADDRESSES[i % ADDRESSES.length] }),
        );
      } catch {
        failed += 1;
      }
    },
  );
  return { sockets, failed, seconds: (performance.now() - t) / 1000 };
}

async function scenarioIdle(server: Server, users: User[]) {
  assertAlive();
  // Warm-up: the first handshakes compile and allocate once-only things that are not per-socket cost.
  (await connectMany(server, users, 100)).sockets.forEach((s) => s.close());
  await sleep(1000);
  // After a collection: live memory (heap + external) and RSS. RSS alone under-counts here, because earlier
  // scenarios left the process room for many sockets; live memory counts what the sockets hold.
  const settled = () => ipc<{ live: number; rss: number }>(server, { type: 'gc' }, 'gc-done');
  const before = await settled();
  const { sockets, failed, seconds } = await connectMany(server, users, P.idle);
  await sleep(2000);
  const after = await settled();
  const handshakes = sockets.map((s) => s.handshakeMs!);
  sockets.forEach((s) => s.close());
  await sleep(1000);
  const perSocketKB = (bytes: number) => Math.round(bytes / Math.max(1, sockets.length) / 102.4) / 10;
  const r = {
    connected: sockets.length,
    failed,
    connectPerSec: Math.round(sockets.length / seconds),
    handshakeP50Ms: pct(handshakes, 50),
    handshakeP99Ms: pct(handshakes, 99),
    liveBytesPerConnectionKB: perSocketKB(after.live - before.live),
    rssPerConnectionKB: perSocketKB(after.rss - before.rss),
  };
  console.log(
    `[${server.name}] idle: ${r.connected} sockets (${failed} failed), ${r.connectPerSec} connects/s, handshake p50 ${r.handshakeP50Ms} p99 ${r.handshakeP99Ms} ms, live ${r.liveBytesPerConnectionKB} KB/socket`,
  );
  return r;
}

/**
 * --heap-diff: V8 heap snapshots of the server before and after 1,000 idle sockets, self size per
 * constructor, growth per socket. Snapshots stay in bench-results/ for DevTools.
 */
async function heapDiff(server: Server, users: User[]) {
  (await connectMany(server, users, 100)).sockets.forEach((s) => s.close());
  await sleep(1500);
  const snapshot = async (when: string) => {
    const file = join(RESULTS, `${server.name}-${when}.heapsnapshot`);
    const r = await ipc<{ error?: string }>(
      server,
      { type: 'heap-snapshot', file },
      'heap-snapshot-done',
      300_000,
    );
    if (r.error) throw new Error(`[${server.name}] heap snapshot: ${r.error}`);
    console.log(`[${server.name}] heap snapshot ${file}`);
    return summarizeHeapSnapshot(readFileSync(file, 'utf8'));
  };
  const before = await snapshot('before');
  const { sockets, failed } = await connectMany(server, users, HEAP_DIFF_SOCKETS);
  if (failed) throw new Error(`[${server.name}] ${failed} of ${HEAP_DIFF_SOCKETS} sockets failed to connect`);
  await sleep(2000);
  const after = await snapshot('after');
  sockets.forEach((s) => s.close());
  return diffHeap(before, after, sockets.length);
}

function printHeapRows(title: string, rows: HeapDiffRow[], count = 25): void {
  console.log(`\n${title}`);
  console.log(`  ${'bytes/socket'.padStart(12)}  ${'objects/socket'.padStart(14)}  constructor`);
  for (const r of rows.slice(0, count))
    console.log(`  ${r.bytesPer.toFixed(0).padStart(12)}  ${r.countPer.toFixed(2).padStart(14)}  ${r.name}`);
}

async function runHeapDiff(app: Server, baseline: Server): Promise<void> {
  console.log(`registering ${HEAP_DIFF_SOCKETS} users`);
  const users = await registerUsers(app, HEAP_DIFF_SOCKETS);
  const diffs = new Map<Name, ReturnType<typeof diffHeap>>();
  for (const s of [app, baseline]) diffs.set(s.name, await heapDiff(s, users));
  for (const [name, d] of diffs)
    printHeapRows(
      `[${name}] heap growth per idle socket: ${(d.totalBytesPer / 1024).toFixed(1)} KB self size in total; top constructors:`,
      d.rows,
    );
  // Where the app's extra bytes go: per constructor, app growth minus baseline growth.
  const base = new Map(diffs.get('baseline')!.rows.map((r) => [r.name, r]));
  const extra = diffs
    .get('app')!
    .rows.map((r) => ({
      name: r.name,
      bytesPer: r.bytesPer - (base.get(r.name)?.bytesPer ?? 0),
      countPer: r.countPer - (base.get(r.name)?.countPer ?? 0),
    }))
    .sort((x, y) => y.bytesPer - x.bytesPer);
  printHeapRows(
    `app minus baseline, per idle socket: ${((diffs.get('app')!.totalBytesPer - diffs.get('baseline')!.totalBytesPer) / 1024).toFixed(1)} KB:`,
    extra,
  );
  // Closures, their contexts and what they hold, summed by the package that defines them.
  const byPackage = new Map<string, number>();
  for (const r of extra) {
    const where = / @ (?:(@[^/]+\/[^/]+)|([^/:]+))/.exec(r.name);
    if (where) byPackage.set(where[1] ?? where[2], (byPackage.get(where[1] ?? where[2]) ?? 0) + r.bytesPer);
  }
  console.log('\napp minus baseline, closures and their contexts by defining package (bytes/socket):');
  for (const [pkg, bytes] of [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 10))
    console.log(`  ${bytes.toFixed(0).padStart(12)}  ${pkg}`);
  writeFileSync(
    join(RESULTS, 'heap-diff.json'),
    JSON.stringify(
      {
        when: new Date().toISOString(),
        sockets: HEAP_DIFF_SOCKETS,
        app: diffs.get('app'),
        baseline: diffs.get('baseline'),
        appMinusBaseline: extra,
      },
      null,
      2,
    ),
  );
  console.log('\nFull lists: bench-results/heap-diff.json; snapshots open in Chrome DevTools (Memory tab)');
}

// ---------- main ----------

async function main(): Promise<void> {
  mkdirSync(RESULTS, { recursive: true });
  const inScript = startScriptFlags();
  if (inScript === undefined) warn('could not find the `node ... dist/main.js` line in scripts/start.sh');
  else if (inScript.join(' ') !== PRODUCTION_NODE_FLAGS.join(' '))
    warn(
      `scripts/start.sh starts the app with [${inScript.join(' ')}] but the bench's PRODUCTION_NODE_FLAGS are [${PRODUCTION_NODE_FLAGS.join(' ')}]; keep them in sync (test/bench/run.ts)`,
    );
  console.log(
    `node flags: app [${APP_NODE_FLAGS.join(' ')}]${option('node-flags') !== undefined ? ' (--node-flags)' : ''}, baseline [${BASELINE_NODE_FLAGS.join(' ')}]`,
  );
  if (WITHOUT_GUARANTEE)
    warn('the app runs WITHOUT its delivery outbox and send fence (--without-delivery-guarantee)');
  const load0 = loadavg()[0];
  if (load0 > 0.5) warn(`load average before the run is ${load0.toFixed(2)}: the machine is not quiet`);

  await prepareDatabase();
  postmasterPid = await findPostmaster();
  if (Number.isNaN(postmasterPid)) warn('PostgreSQL postmaster not found; PostgreSQL CPU is not measured');
  const app = await startServer('app', 3901);
  const baseline = await startServer('baseline', 3902);
  try {
    if (HEAP_DIFF) return await runHeapDiff(app, baseline);
    const registered = Math.max(P.users, 2 * P.pairs);
    console.log(`[${elapsed()}] registering ${registered} users and ${registered / 2} direct chats`);
    const users = await registerUsers(app, registered);
    const pairs: Pair[] = await inBatches(
      Array.from({ length: registered / 2 }, (_, i) => i),
      25,
      async (i) => ({
        a: 2 * i,
        b: 2 * i + 1,
        chatId: (await api(app, 'POST', '/chats/direct', { userId: users[2 * i + 1].id }, users[2 * i].token))
          .id,
      }),
    );
    const mainUsers = users.slice(0, P.users);
    const mainPairs = pairs.slice(0, P.users / 2);

    // Both targets keep their clients connected throughout, so each is measured with the other's idle
    // sockets present: the same machine state for both.
    console.log(`[${elapsed()}] connecting ${P.users} clients to each server`);
    const targets: Target[] = [];
    for (const server of [app, baseline])
      targets.push({
        server,
        sockets: await inBatches(mainUsers, 100, (u, i) =>
          connect(server, u, { rooms: i < P.group ? ['group:bench'] : [] }),
        ),
      });
    const results: Record<Name, Record<string, any>> = { app: {}, baseline: {} };

    console.log(`\n== [${elapsed()}] latency: ${P.rate} msg/s for ${P.seconds}s over ${P.users} clients`);
    if (runs('latency'))
      for (const t of targets)
        results[t.server.name].latency = await scenarioLatency(t, mainUsers, mainPairs);

    console.log(
      `\n== [${elapsed()}] throughput ladder: ${P.steps.join(', ')} msg/s, ${P.stepSeconds}s each, ${P.users} clients`,
    );
    if (runs('throughput'))
      for (const [name, r] of await scenarioThroughput(targets, mainUsers, mainPairs))
        results[name].throughput = r;

    console.log(
      `\n== [${elapsed()}] group fan-out: ${P.group} members, ${P.groupRate} msg/s for ${P.groupSeconds}s`,
    );
    if (runs('group'))
      for (const t of targets) results[t.server.name].group = await scenarioGroup(t, mainUsers, mainPairs);
    for (const t of targets) t.sockets.forEach((s) => s.close());

    console.log(
      `\n== [${elapsed()}] pairs: ${P.pairs} sender->receiver pairs on their own connections, ${P.pairRates.join(', ')} msg/s`,
    );
    if (runs('pairs'))
      for (const [name, r] of await scenarioPairs(targets, users, pairs)) results[name].pairs = r;

    console.log(`\n== [${elapsed()}] history: ${P.history} messages, ${P.pages} pages`);
    if (runs('history')) {
      const chats = new Map<Name, string>();
      for (const s of [app, baseline]) chats.set(s.name, await prepareHistory(s, users[0]));
      await settleDatabase();
      for (const s of [app, baseline])
        results[s.name].history = await scenarioHistory(s, users[0], chats.get(s.name)!);
    }

    console.log(`\n== [${elapsed()}] idle connections: ${P.idle}`);
    if (runs('idle')) for (const s of [app, baseline]) results[s.name].idle = await scenarioIdle(s, users);

    for (const name of NAMES) results[name].warmups = warmups[name];
    for (const s of started) {
      const l = logSummary(s);
      results[s.name].serverLog = { file: s.logFile, ...l };
      if (l.errors) warn(`[${s.name}] the server logged ${l.errors} errors (${l.lines} lines): ${s.logFile}`);
    }
    if (notQuiet.length)
      warnings.push(
        `the machine was not quiet in ${notQuiet.length} measured runs: other processes and the VM's host (steal) took up to ${Math.max(...notQuiet.map((q) => q.pct))} % of a core (over ${NOT_QUIET_PCT} % in ${notQuiet.map((q) => q.label).join('; ')})`,
      );
    const report = {
      quick: QUICK,
      params: P,
      method: {
        latencyLimitMs: LATENCY_LIMIT_MS,
        undeliveredCountsAsMs: DELIVERY_TIMEOUT_MS,
        postgresCpu: 'whole cluster: postmaster + reaped + live children, from /proc',
        generatorBoundPct: GENERATOR_BOUND_PCT,
        notQuietPct: NOT_QUIET_PCT,
      },
      nodeFlags: { app: APP_NODE_FLAGS, baseline: BASELINE_NODE_FLAGS, startScript: inScript },
      withoutDeliveryGuarantee: WITHOUT_GUARANTEE,
      when: new Date().toISOString(),
      cores: cpus().length,
      loadAverage: { before: load0, after: loadavg()[0] },
      warnings,
      notQuiet,
      results,
      summary: [] as Row[],
    };
    report.summary = summaryRows(results);
    writeFileSync(join(RESULTS, 'latest.json'), JSON.stringify(report, null, 2));
    printSummary(report.summary, results);

    const broken = (name: Name) => {
      const r = results[name];
      return [r.latency, ...(r.throughput?.steps ?? []), r.group, ...(r.pairs ?? []), r.warmups].filter(
        (s: any) => s && (s.lost || s.duplicated),
      );
    };
    if (broken('baseline').length) warn('the baseline lost or duplicated messages: a bench bug, see above');
    if (broken('app').length) {
      console.error('FAIL: the app lost or duplicated messages (see above).');
      process.exitCode = 1;
    }
  } finally {
    stopServers();
  }
  if (crashed.length) {
    console.error(`FAIL: server crashed: ${crashed.join(', ')}`);
    process.exitCode = 1;
  }
}

/**
 * After the history's 2 x 1M-row inserts: vacuum (sets hint bits and the visibility map, so no page is first
 * dirtied by a measured read and autovacuum has nothing left to do), analyze, and write every dirty buffer out,
 * so neither server's measurement runs beside the other's checkpoint I/O. Without it the server measured first
 * read beside hundreds of MB of writes (100 % iowait in top) and its p50 moved from 3.5 to 5.1 ms between runs.
 */
async function settleDatabase(): Promise<void> {
  const db = new Client({ connectionString: DB_URL });
  await db.connect();
  await db.query('VACUUM (ANALYZE)');
  await db.query('CHECKPOINT');
  await db.end();
}

// ---------- summary ----------

type Goal = { kind: 'ratio<=' | 'ratio>=' | 'app<='; value: number } | { kind: 'zero' } | undefined;

interface Row {
  metric: string;
  app: string;
  baseline: string;
  ratio: string;
  goal: string;
  met: string;
}

const num = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? x : undefined);
const round2 = (x: number) => Math.round(x * 100) / 100;

function row(metric: string, a: unknown, b: unknown, goal: Goal, shown?: [string, string]): Row {
  const an = num(a);
  const bn = num(b);
  const ratio = an !== undefined && bn ? round2(an / bn) : undefined;
  let goalText = '';
  let met = '';
  if (goal?.kind === 'zero') {
    goalText = '0';
    met = an === 0 ? 'yes' : 'no';
  } else if (goal?.kind === 'app<=') {
    goalText = `<= ${goal.value}`;
    met = an === undefined ? '-' : an <= goal.value ? 'yes' : 'no';
  } else if (goal) {
    goalText = `${goal.kind === 'ratio<=' ? '<=' : '>='} ${goal.value}x`;
    met =
      ratio === undefined
        ? '-'
        : (goal.kind === 'ratio<=' ? ratio <= goal.value : ratio >= goal.value)
          ? 'yes'
          : 'no';
  }
  return {
    metric,
    app: shown?.[0] ?? fmt(an ?? (a as number)),
    baseline: shown?.[1] ?? fmt(bn ?? (b as number)),
    ratio: ratio === undefined ? '-' : String(ratio),
    goal: goalText,
    met,
  };
}

/** The side-by-side figures against the goals of issue 13 (defined for the full run's parameters). */
function summaryRows(r: Record<Name, Record<string, any>>): Row[] {
  // With --only, a scenario that did not run reads as NaN.
  const safe =
    <T>(get: (x: Record<string, any>) => T) =>
    (x: Record<string, any>) => {
      try {
        return get(x) ?? (NaN as T);
      } catch {
        return NaN as T;
      }
    };
  const both = <T>(get: (x: Record<string, any>) => T): [T, T] => [safe(get)(r.app), safe(get)(r.baseline)];
  const rows: Row[] = [];
  const add = (metric: string, get: (x: Record<string, any>) => unknown, goal?: Goal) =>
    rows.push(row(metric, ...both(get), goal));
  const t = both((x) => x.throughput ?? {});
  rows.push(
    row(
      `throughput: highest step, p99 <= ${LATENCY_LIMIT_MS} ms, ${P.users} clients`,
      t[0].highestStepWithinLimit ?? NaN,
      t[1].highestStepWithinLimit ?? NaN,
      { kind: 'ratio>=', value: 1.5 },
      [t[0].figure, t[1].figure],
    ),
  );
  if (t[0].highestStepWithinLimit === null) rows[rows.length - 1].met = 'no';
  add('  persisted msg/s at that step', (x) => x.throughput.persistedPerSecAtFigure ?? NaN);
  add(`latency ${P.rate} msg/s, ${P.users} clients: p50 ms`, (x) => x.latency.p50, {
    kind: 'ratio<=',
    value: 1.3,
  });
  add('  p99 ms', (x) => x.latency.p99, { kind: 'ratio<=', value: 1.2 });
  add('  server CPU ms per message', (x) => x.latency.cpuMsPerMsg, { kind: 'ratio<=', value: 1.5 });
  add('  PostgreSQL CPU ms per message', (x) => x.latency.postgresMsPerMsg, { kind: 'ratio<=', value: 1 });
  add('  load generator CPU ms per message', (x) => x.latency.genMsPerMsg);
  add('  CPU % of a core: server', (x) => x.latency.cpuPct);
  add('  CPU % of a core: PostgreSQL (cluster)', (x) => x.latency.postgresCpuPct);
  add('  CPU % of a core: load generator', (x) => x.latency.genCpuPct);
  add('  server event-loop delay p99 ms', (x) => x.latency.loopP99Ms);
  add('  server GC pause p99 ms', (x) => x.latency.gcPauseP99Ms);
  add('  server major GCs', (x) => x.latency.majorGcs);
  add('  send batch, mean: sends', (x) => x.latency.sendPhases?.meanBatch ?? NaN);
  add('  send batch, mean ms: queued', (x) => x.latency.sendPhases?.queuedMs ?? NaN);
  add('  send batch, mean ms: Redis', (x) => x.latency.sendPhases?.redisMs ?? NaN);
  add(
    '  send batch, mean ms: statement (baseline INSERT)',
    (x) => x.latency.sendPhases?.statementMs ?? NaN,
  );
  P.pairRates.forEach((rate, i) => {
    add(`pairs: ${P.pairs} pairs, ${rate} msg/s: p50 ms`, (x) => x.pairs[i].p50);
    add('  p99 ms', (x) => x.pairs[i].p99, rate === 1000 ? { kind: 'app<=', value: 10 } : undefined);
  });
  add(`group of ${P.group}: last member p50 ms`, (x) => x.group.lastMemberP50);
  add('  last member p99 ms', (x) => x.group.lastMemberP99, { kind: 'ratio<=', value: 1.2 });
  add('history keyset page p99 ms', (x) => x.history.keysetP99, { kind: 'ratio<=', value: 1.2 });
  add('history offset page p99 ms, last 10 %', (x) => x.history.offsetDeepP99);
  add('idle socket: live KB after GC', (x) => x.idle.liveBytesPerConnectionKB, {
    kind: 'ratio<=',
    value: 1.3,
  });
  add('idle socket: RSS KB', (x) => x.idle.rssPerConnectionKB);
  add('connects per second', (x) => x.idle.connectPerSec, { kind: 'ratio>=', value: 0.5 });
  add('  handshake p50 ms (200 in flight)', (x) => x.idle.handshakeP50Ms);
  add('  handshake p99 ms', (x) => x.idle.handshakeP99Ms);
  const sends = (x: Record<string, any>) =>
    [x.latency, ...(x.throughput?.steps ?? []), x.group, ...(x.pairs ?? []), x.warmups].filter(Boolean);
  add(
    'lost + duplicated, every scenario and warm-up',
    (x) => sends(x).reduce((sum: number, s: any) => sum + s.lost + s.duplicated, 0),
    { kind: 'zero' },
  );
  add('send errors (failed/timed-out acks), all', (x) =>
    sends(x).reduce((sum: number, s: any) => sum + s.errors, 0),
  );
  return rows;
}

function printSummary(rows: Row[], r: Record<Name, Record<string, any>>): void {
  console.log(
    '\nThroughput steps: offered -> sent / persisted / delivered msg/s, p99 ms, CPU ms per persisted message (server / PostgreSQL / generator):',
  );
  for (const name of NAMES) {
    console.log(`  ${name}:`);
    const steps: any[] = r[name].throughput?.steps ?? [];
    steps.forEach((s, i) => {
      const retried = steps[i + 1]?.offered === s.offered;
      const verdict = stepPassed(s, LATENCY_LIMIT_MS)
        ? ''
        : retried
          ? '  (over the limit: measured again)'
          : '  (over the limit: ladder stops)';
      console.log(
        `    ${String(s.offered).padStart(5)} -> ${s.sentPerSec} / ${s.persistedPerSec} / ${s.deliveredPerSec}, p99 ${s.p99}, CPU ${fmt(s.cpuMsPerMsg)} / ${fmt(s.postgresMsPerMsg)} / ${fmt(s.genMsPerMsg)}${verdict}${s.generatorBound ? '  (generator-bound)' : ''}`,
      );
    });
  }
  const widths = [52, 12, 12, 13, 10, 4];
  const line = (cells: string[]) =>
    console.log(
      cells
        .map((c, i) => c.padEnd(widths[i] - 1))
        .join(' ')
        .trimEnd(),
    );
  console.log('');
  line(['metric', 'app', 'baseline', 'app/baseline', 'goal', 'met?']);
  for (const x of rows) line([x.metric, x.app, x.baseline, x.ratio, x.goal, x.met]);
  console.log(
    [
      '',
      `Percentiles count every message sent: one not delivered within ${DELIVERY_TIMEOUT_MS} ms (lost, failed or late) counts as ${DELIVERY_TIMEOUT_MS} ms.`,
      'Send errors are not losses: the sender got a failed ack and would retry with the same clientMsgId.',
      'PostgreSQL CPU is the whole cluster (postmaster, reaped and live backends, other databases too); Redis the whole',
      'server. Per-message CPU is per persisted (acked) message. All of it needs a quiet machine ("other" and "steal" CPU in the JSON).',
      QUICK
        ? "--quick: parameters differ from the goals' (100 clients, 200 msg/s, short runs); 'met?' is indicative only."
        : "'met?' uses the goals of issue 13.",
    ].join('\n'),
  );
  if (warnings.length) {
    console.log(`\n${warnings.length} warning(s):`);
    for (const w of warnings) console.log(`  WARNING: ${w}`);
  }
  console.log(`\nFull report: bench-results/latest.json (${elapsed()})`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const watchdog = setTimeout(() => {
  console.error(`FAIL: the bench did not finish within ${WATCHDOG_MS / 60_000} minutes; stopping.`);
  stopServers();
  process.exit(1);
}, WATCHDOG_MS);
watchdog.unref();
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    stopServers();
    process.exit(130);
  });

main().then(
  () => process.exit(process.exitCode ?? 0),
  (err: unknown) => {
    // After a crash the error is only a consequence (a refused connection); say what happened first.
    if (crashed.length) console.error(`FAIL: server crashed: ${crashed.join(', ')}`);
    console.error(err);
    stopServers();
    process.exit(1);
  },
);
