/**
 * npm run bench [-- --quick]
 *
 * Runs every scenario twice in one run: through the real app (auth, validation, membership check, idempotent
 * persist, seq, fan-out through the Redis adapter) and through a bare baseline (test/bench/baseline-server.js),
 * and prints app, baseline and their ratio, so the figures mean something on a noisy machine. Both servers run
 * as their own processes against a dedicated database (messenger_bench) and Redis database 7; the load
 * generator is this process. Writes bench-results/latest.json. Targets only 127.0.0.1, ends by itself.
 */
import { ChildProcess, execFileSync, spawn } from 'child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'fs';
import { cpus } from 'os';
import { join } from 'path';
import { Client } from 'pg';
import Redis from 'ioredis';
import { io, Socket } from 'socket.io-client';

const ROOT = join(__dirname, '..', '..');
const QUICK = process.argv.includes('--quick');
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};

const P = QUICK
  ? {
      users: 100,
      rate: 200,
      seconds: 5,
      steps: [500, 1000],
      stepSeconds: 3,
      history: 50_000,
      pages: 200,
      group: 100,
      groupRate: 10,
      groupSeconds: 3,
      idle: 1000,
    }
  : {
      users: 2000,
      rate: 1000,
      seconds: 30,
      steps: [1000, 2000, 3000, 4000, 6000, 8000],
      stepSeconds: 10,
      history: 1_000_000,
      pages: 1000,
      group: 1000,
      groupRate: 20,
      groupSeconds: 15,
      idle: arg('idle', 18_000),
    };

const PG_ADMIN = 'postgres://postgres:postgres@localhost:5432/postgres';
const DB_URL = 'postgres://postgres:postgres@localhost:5432/messenger_bench';
const REDIS_URL = 'redis://localhost:6379/7';
const JWT_SECRET = 'bench-secret-bench-secret-bench-secret-0123';

// ---------- measured processes ----------

interface Server {
  name: 'app' | 'baseline';
  url: string;
  proc: ChildProcess;
}

async function startServer(name: Server['name'], port: number): Promise<Server> {
  const entry = name === 'app' ? [join(ROOT, 'dist', 'main.js')] : [join(__dirname, 'baseline-server.js')];
  const proc = spawn(
    process.execPath,
    ['--expose-gc', '--require', join(__dirname, 'loop-monitor.js'), ...entry],
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
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  proc.on('exit', (code, signal) => {
    if (!stopping)
      console.error(`[${name}] server process exited unexpectedly: code ${code}, signal ${signal}`);
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      await fetch(
        name === 'app' ? `${url}/api/health` : `${url}/history?chatId=00000000-0000-4000-8000-000000000000`,
      );
      return { name, url, proc };
    } catch {
      await sleep(200);
    }
  }
  throw new Error(`${name} did not start`);
}

/** CPU seconds used by a process so far (utime + stime from /proc). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function ipc<R = unknown>(server: Server, message: Record<string, unknown>, reply: string): Promise<R> {
  return new Promise((resolve) => {
    const onMessage = (m: { type?: string }) => {
      if (m?.type !== reply) return;
      server.proc.off('message', onMessage);
      resolve(m as R);
    };
    server.proc.on('message', onMessage);
    server.proc.send(message);
  });
}

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

function loopStats(server: Server): Promise<{ p50: number; p99: number; max: number }> {
  return new Promise((resolve) => {
    server.proc.once('message', (stats: { p50: number; p99: number; max: number }) => resolve(stats));
    server.proc.send({ type: 'loop-stats' });
  });
}

/** CPU seconds of every process with this command name (PostgreSQL backends, redis-server); NaN without pgrep. */
function cpuOf(command: string): number {
  try {
    return execFileSync('pgrep', ['-x', command], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .reduce((sum, pid) => {
        try {
          return sum + cpuSeconds(Number(pid));
        } catch {
          return sum; // exited meanwhile
        }
      }, 0);
  } catch {
    return NaN;
  }
}

/** Runs fn while measuring CPU (% of one core) of the server, PostgreSQL, Redis and this generator, and event-loop delay. */
async function measured<T>(
  server: Server,
  fn: () => Promise<T>,
): Promise<
  T & { cpuPct: number; postgresCpuPct: number; redisCpuPct: number; genCpuPct: number; loopP99Ms: number }
> {
  await loopStats(server); // start a fresh window
  const cpu0 = cpuSeconds(server.proc.pid!);
  const pg0 = cpuOf('postgres');
  const redis0 = cpuOf('redis-server');
  const gen0 = process.cpuUsage();
  const t0 = Date.now();
  const result = await fn();
  const wall = (Date.now() - t0) / 1000;
  const gen = process.cpuUsage(gen0);
  const pctOf = (seconds: number) => Math.round((seconds / wall) * 100);
  return {
    ...result,
    cpuPct: pctOf(cpuSeconds(server.proc.pid!) - cpu0),
    postgresCpuPct: pctOf(cpuOf('postgres') - pg0),
    redisCpuPct: pctOf(cpuOf('redis-server') - redis0),
    genCpuPct: pctOf((gen.user + gen.system) / 1e6),
    loopP99Ms: (await loopStats(server)).p99,
  };
}

// ---------- clients ----------

interface User {
  id: string;
  token: string;
}

function connect(
  server: Server,
  user: User,
  opts: { rooms?: string[]; localAddress?: string } = {},
): Promise<Socket> {
  const socket = io(server.url, {
    path: '/socket.io',
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    auth: server.name === 'app' ? { token: user.token } : { userId: user.id, rooms: opts.rooms ?? [] },
    ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
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

/**
 * Tracks every message from send to each delivery. A send whose ack failed or timed out is an error (the
 * client knows and would retry with the same clientMsgId); "lost" is an acknowledged message that never
 * arrived, "duplicated" any delivery beyond the expected one per recipient socket.
 */
class Tracker {
  private sent = new Map<string, { at: number; expect: number; got: number; failed: boolean }>();
  latencies: number[] = [];
  duplicates = 0;
  errors = 0;
  acked = 0;

  expect(id: string, recipients: number): void {
    this.sent.set(id, { at: performance.now(), expect: recipients, got: 0, failed: false });
  }
  failed(id: string): void {
    const m = this.sent.get(id);
    if (m) m.failed = true;
    this.errors += 1;
  }
  delivered(id: string): void {
    const m = this.sent.get(id);
    if (!m) return;
    m.got += 1;
    if (m.got > m.expect) this.duplicates += 1;
    const now = performance.now() - m.at;
    // Direct: time to the recipient; group: time until the last member has it.
    if (m.got === m.expect) this.latencies.push(now);
  }
  get lost(): number {
    let lost = 0;
    for (const m of this.sent.values()) if (!m.failed) lost += Math.max(0, m.expect - m.got);
    return lost;
  }
  get deliveries(): number {
    let n = 0;
    for (const m of this.sent.values()) n += Math.min(m.got, m.expect);
    return n;
  }
  pending(): boolean {
    for (const m of this.sent.values()) if (!m.failed && m.got < m.expect) return true;
    return false;
  }
}

const pct = (values: number[], p: number) => {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] * 100) / 100;
};

interface Pair {
  a: number;
  b: number;
  chatId: string;
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
  socket.timeout(10_000).emit(event, payload, (err: unknown, ack: { ok: boolean }) => {
    if (err || !ack?.ok) tracker.failed(msg.clientMsgId);
    else tracker.acked += 1;
  });
}

function listen(server: Server, sockets: Socket[], tracker: () => Tracker): void {
  const event = server.name === 'app' ? 'message:new' : 'msg';
  for (const s of sockets) {
    s.removeAllListeners(event);
    s.on(event, (m: { clientMsgId: string }) => tracker().delivered(m.clientMsgId));
  }
}

let runId = 0;
/** Offers `rate` direct messages per second for `seconds`, alternating direction over the pairs. */
async function directLoad(
  server: Server,
  users: User[],
  sockets: Socket[],
  pairs: Pair[],
  rate: number,
  seconds: number,
) {
  const tracker = new Tracker();
  listen(server, sockets, () => tracker);
  const run = ++runId;
  const total = rate * seconds;
  const started = performance.now();
  let n = 0;
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate));
      for (; n < due; n++) {
        const pair = pairs[n % pairs.length];
        const [from, to] = Math.floor(n / pairs.length) % 2 ? [pair.b, pair.a] : [pair.a, pair.b];
        const id = `r${run}-${n}`;
        tracker.expect(id, 1);
        sendOne(server, sockets[from], tracker, { chatId: pair.chatId, to: users[to].id, clientMsgId: id });
      }
      if (n >= total) {
        clearInterval(tick);
        resolve();
      }
    }, 5);
  });
  const sendSeconds = (performance.now() - started) / 1000;
  for (let i = 0; i < 100 && (tracker.pending() || tracker.acked + tracker.errors < total); i++)
    await sleep(50);
  return {
    offered: rate,
    sent: total,
    p50: pct(tracker.latencies, 50),
    p99: pct(tracker.latencies, 99),
    persistedPerSec: Math.round(tracker.acked / sendSeconds),
    deliveredPerSec: Math.round(tracker.deliveries / sendSeconds),
    errors: tracker.errors,
    lost: tracker.lost,
    duplicated: tracker.duplicates,
  };
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

// ---------- scenarios ----------

async function scenarioHistory(server: Server, owner: User) {
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
  await db.query('ANALYZE');
  await db.end();
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
  const keyset: number[] = [];
  const offsetShallow: number[] = [];
  const offsetDeep: number[] = [];
  const random = (max: number) => Math.floor(Math.random() * max);
  return measured(server, async () => {
    for (let i = 0; i < P.pages; i++) {
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
}

async function scenarioGroup(server: Server, users: User[], sockets: Socket[]) {
  const members = users.slice(0, P.group);
  let chatId = '22222222-2222-4222-8222-222222222222';
  if (server.name === 'app') {
    const group = await api(
      server,
      'POST',
      '/groups',
      { name: 'Bench', memberIds: members.slice(1).map((u) => u.id) },
      members[0].token,
    );
    chatId = group.chatId;
  }
  const tracker = new Tracker();
  listen(server, sockets.slice(0, P.group), () => tracker);
  const total = P.groupRate * P.groupSeconds;
  return measured(server, async () => {
    for (let n = 0; n < total; n++) {
      const id = `g${n}`;
      tracker.expect(id, P.group - 1);
      sendOne(server, sockets[0], tracker, { chatId, room: 'group:bench', clientMsgId: id });
      await sleep(1000 / P.groupRate);
    }
    for (let i = 0; i < 100 && tracker.pending(); i++) await sleep(50);
    return {
      members: P.group,
      messages: total,
      lastMemberP50: pct(tracker.latencies, 50),
      lastMemberP99: pct(tracker.latencies, 99),
      lost: tracker.lost,
      duplicated: tracker.duplicates,
      errors: tracker.errors,
    };
  });
}

async function scenarioIdle(server: Server, users: User[]) {
  const count = P.idle;
  // After a collection: live memory (heap + external) and RSS. RSS alone under-counts here, because earlier
  // scenarios left the process room for many sockets; live memory counts what the sockets hold.
  const settled = () => ipc<{ live: number; rss: number }>(server, { type: 'gc' }, 'gc-done');
  const before = await settled();
  const addresses = ['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4'];
  const sockets: Socket[] = [];
  const t = performance.now();
  let failed = 0;
  await inBatches(
    Array.from({ length: count }, (_, i) => i),
    200,
    async (i) => {
      try {
        sockets.push(
          await connect(server, users[i % users.length], { localAddress: addresses[i % addresses.length] }),
        );
      } catch {
        failed += 1;
      }
    },
  );
  const seconds = (performance.now() - t) / 1000;
  await sleep(2000);
  const after = await settled();
  sockets.forEach((s) => s.close());
  await sleep(1000);
  return {
    connected: sockets.length,
    failed,
    connectPerSec: Math.round(sockets.length / seconds),
    liveBytesPerConnectionKB:
      Math.round((after.live - before.live) / Math.max(1, sockets.length) / 102.4) / 10,
    rssPerConnectionKB: Math.round((after.rss - before.rss) / Math.max(1, sockets.length) / 102.4) / 10,
  };
}

// ---------- main ----------

async function runTarget(server: Server, users: User[], pairs: Pair[]) {
  const sockets = await inBatches(users, 100, (u, i) =>
    connect(server, u, { rooms: i < P.group ? ['group:bench'] : [] }),
  );
  const report: Record<string, unknown> = {};
  console.log(`[${server.name}] latency: ${P.rate} msg/s for ${P.seconds}s over ${pairs.length} pairs`);
  const profile = process.argv.includes('--profile') && server.name === 'app';
  if (profile) await ipc(server, { type: 'profile-start' }, 'profile-started');
  report.latency = await measured(server, () => directLoad(server, users, sockets, pairs, P.rate, P.seconds));
  if (profile) {
    const file = join(ROOT, 'bench-results', 'app-latency.cpuprofile');
    await ipc(server, { type: 'profile-stop', file }, 'profile-stopped');
    console.log(`CPU profile of the app during the latency scenario (${file}), self time:`);
    topFunctions(file).forEach((line) => console.log(`  ${line}`));
  }
  const steps = [];
  for (const rate of P.steps) {
    console.log(`[${server.name}] throughput step: ${rate} msg/s`);
    const step = await measured(server, () => directLoad(server, users, sockets, pairs, rate, P.stepSeconds));
    steps.push(step);
    if (!(step.p99 <= 50) || step.lost > 0) break;
  }
  const sustained = steps.filter((s) => s.p99 <= 50 && s.lost === 0);
  report.throughput = {
    steps,
    maxSustainedPersistedPerSec: Math.max(0, ...sustained.map((s) => s.persistedPerSec)),
    maxSustainedDeliveredPerSec: Math.max(0, ...sustained.map((s) => s.deliveredPerSec)),
  };
  console.log(`[${server.name}] group fan-out: ${P.group} members`);
  report.group = await scenarioGroup(server, users, sockets);
  sockets.forEach((s) => s.close());
  console.log(`[${server.name}] history: ${P.history} messages`);
  report.history = await scenarioHistory(server, users[0]);
  console.log(`[${server.name}] idle connections: ${P.idle}`);
  report.idle = await scenarioIdle(server, users);
  return report;
}

async function main(): Promise<void> {
  mkdirSync(join(ROOT, 'bench-results'), { recursive: true });
  await prepareDatabase();
  const app = await startServer('app', 3901);
  const baseline = await startServer('baseline', 3902);
  try {
    console.log(`registering ${P.users} users and ${P.users / 2} direct chats`);
    const users: User[] = await inBatches(
      Array.from({ length: P.users }, (_, i) => i),
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
    const pairs: Pair[] = await inBatches(
      Array.from({ length: P.users / 2 }, (_, i) => i),
      25,
      async (i) => ({
        a: 2 * i,
        b: 2 * i + 1,
        chatId: (await api(app, 'POST', '/chats/direct', { userId: users[2 * i + 1].id }, users[2 * i].token))
          .id,
      }),
    );

    const results = {
      app: await runTarget(app, users, pairs),
      baseline: await runTarget(baseline, users, pairs),
    };
    const report = {
      quick: QUICK,
      params: P,
      when: new Date().toISOString(),
      cores: cpus().length,
      results,
    };
    writeFileSync(join(ROOT, 'bench-results', 'latest.json'), JSON.stringify(report, null, 2));
    printTable(results as any);
    console.log(
      '\n(Send errors are not losses: the sender got a failed ack and would retry with the same clientMsgId.)',
    );
    const bad = (['app', 'baseline'] as const).flatMap((t) => {
      const r = (results as any)[t];
      return [r.latency, ...r.throughput.steps, r.group]
        .filter((s: any) => s.lost || s.duplicated)
        .map(() => t);
    });
    if (bad.includes('app')) {
      console.error('The app lost or duplicated messages (see above).');
      process.exitCode = 1;
    }
  } finally {
    stopping = true;
    app.proc.kill('SIGTERM');
    baseline.proc.kill('SIGTERM');
  }
}

function printTable(r: Record<'app' | 'baseline', any>): void {
  const rows: [string, (x: any) => number][] = [
    ['latency p50 ms (emit -> message:new)', (x) => x.latency.p50],
    ['latency p99 ms', (x) => x.latency.p99],
    ['  lost / duplicated', (x) => x.latency.lost + x.latency.duplicated],
    ['  send errors (failed or timed-out acks)', (x) => x.latency.errors],
    ['  server CPU % of a core', (x) => x.latency.cpuPct],
    ['  PostgreSQL CPU % of a core', (x) => x.latency.postgresCpuPct],
    ['  Redis CPU % of a core', (x) => x.latency.redisCpuPct],
    ['  load generator CPU % of a core', (x) => x.latency.genCpuPct],
    ['  server event-loop p99 ms', (x) => x.latency.loopP99Ms],
    ['throughput: max sustained persisted msg/s', (x) => x.throughput.maxSustainedPersistedPerSec],
    ['throughput: max sustained delivered msg/s', (x) => x.throughput.maxSustainedDeliveredPerSec],
    ['group: last member p50 ms', (x) => x.group.lastMemberP50],
    ['group: last member p99 ms', (x) => x.group.lastMemberP99],
    ['  lost / duplicated', (x) => x.group.lost + x.group.duplicated],
    ['  send errors', (x) => x.group.errors],
    ['  server event-loop p99 ms', (x) => x.group.loopP99Ms],
    ['history keyset page p50 ms', (x) => x.history.keysetP50],
    ['history keyset page p99 ms', (x) => x.history.keysetP99],
    ['history offset page p99 ms, first 10%', (x) => x.history.offsetShallowP99],
    ['history offset page p99 ms, last 10%', (x) => x.history.offsetDeepP99],
    ['idle sockets connected', (x) => x.idle.connected],
    ['idle: connects/s', (x) => x.idle.connectPerSec],
    ['idle: live KB per connection (after GC)', (x) => x.idle.liveBytesPerConnectionKB],
    ['idle: RSS KB per connection (after GC)', (x) => x.idle.rssPerConnectionKB],
  ];
  const pad = (s: string, n: number) => s.padEnd(n);
  console.log(`\n${pad('metric', 44)}${pad('app', 12)}${pad('baseline', 12)}app/baseline`);
  for (const [label, get] of rows) {
    const a = get(r.app);
    const b = get(r.baseline);
    const ratio = b ? (Math.round((a / b) * 100) / 100).toString() : '-';
    console.log(`${pad(label, 44)}${pad(String(a), 12)}${pad(String(b), 12)}${ratio}`);
  }
  console.log('\nThroughput steps (offered -> persisted/delivered msg/s, p99 ms):');
  for (const t of ['app', 'baseline'] as const) {
    console.log(
      `  ${t}: ${r[t].throughput.steps.map((s: any) => `${s.offered}->${s.persistedPerSec}/${s.deliveredPerSec} (p99 ${s.p99})`).join(', ')}`,
    );
  }
  console.log('\nFull report: bench-results/latest.json');
}

let stopping = false;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

main().then(
  () => process.exit(process.exitCode ?? 0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
