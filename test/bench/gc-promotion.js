/**
 * node test/bench/gc-promotion.js [--node-flags="..."] [--rate=1000] [--seconds=10]   (after `npm run build`)
 *
 * How much of what the app allocates survives the young generation (is promoted), per HTTP request and per
 * socket message, and what the young-generation GCs (scavenges) cost. Objects that die young cost a scavenge
 * almost nothing; promoted ones are copied twice and wait for a full GC, so bytes promoted per request is the
 * figure that decides the GC pauses in the benchmark's tails. Reads the app's own `--trace-gc` lines: the
 * growth of the heap from one scavenge to the next is what that scavenge promoted.
 *
 * The app runs as `npm start` runs it (the flags of scripts/start.sh unless --node-flags), on a database of its
 * own (messenger_bench_gc, dropped at the end) and Redis DB 6 (flushed). HTTP: 3,000 sequential requests per
 * endpoint after a warm-up. Sockets: 200 sender -> receiver pairs at --rate messages per second. Not part of
 * `npm run bench` (whose figures are latencies side by side with a baseline); this isolates one cause.
 */
const { spawn } = require('child_process');
const { readFileSync } = require('fs');
const { join } = require('path');
const { Client } = require('pg');
const Redis = require('ioredis');
const { scratchDatabase } = require('./scratch-database');
const { io } = require('socket.io-client');

const ROOT = join(__dirname, '..', '..');
const arg = (name) =>
  process.argv
    .find((a) => a.startsWith(`--${name}=`))
    ?.split('=')
    .slice(1)
    .join('=');
const startFlags = /^\s*exec\s+node\s+(.*?)\s*dist\/main\.js/m.exec(
  readFileSync(join(ROOT, 'scripts', 'start.sh'), 'utf8'),
);
const FLAGS = (arg('node-flags') ?? startFlags?.[1] ?? '').split(/\s+/).filter(Boolean);
const RATE = Number(arg('rate') ?? 1000);
const SECONDS = Number(arg('seconds') ?? 10);
const PAIRS = 200;
const PORT = 3990;
const URL_ = `http://127.0.0.1:${PORT}`;
const DB = scratchDatabase('messenger_bench_gc');
const REDIS_URL = 'redis://127.0.0.1:6379/6';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Scavenges and full GCs from the app's --trace-gc output, as they come. */
function gcLog(stream) {
  const events = [];
  let rest = '';
  stream.on('data', (chunk) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop();
    for (const line of lines) {
      const m = /(Scavenge|Mark-Compact)[^\d]*([\d.]+) \(([\d.]+)\) -> ([\d.]+) \([\d.]+\) MB, ([\d.]+)/.exec(
        line,
      );
      if (m) events.push({ kind: m[1], afterMb: Number(m[4]), pauseMs: Number(m[5]) });
    }
  });
  return events;
}

/** What the GCs from index `from` on did, for `units` requests or messages. */
function summary(events, from, units) {
  const scavenges = events.slice(from).filter((e) => e.kind === 'Scavenge');
  const full = events.slice(from).filter((e) => e.kind === 'Mark-Compact');
  let promotedMb = 0;
  for (let i = Math.max(1, from); i < events.length; i++)
    if (events[i].kind === 'Scavenge') promotedMb += Math.max(0, events[i].afterMb - events[i - 1].afterMb);
  const pauses = scavenges.map((e) => e.pauseMs).sort((a, b) => a - b);
  return {
    promotedKbPer: (promotedMb * 1000) / units,
    scavenges: scavenges.length,
    scavengeP50: pauses[Math.floor(pauses.length / 2)] ?? 0,
    scavengeMax: pauses[pauses.length - 1] ?? 0,
    fullGcs: full.length,
  };
}

const fmt = (s) =>
  `promoted ${s.promotedKbPer.toFixed(1)} KB; ${s.scavenges} scavenges (p50 ${s.scavengeP50} ms, max ${s.scavengeMax} ms), ${s.fullGcs} full GCs`;

async function json(path, { method = 'GET', token, body } = {}) {
  const res = await fetch(URL_ + path, {
    method,
    headers: {
      ...(body ? { 'content-type': 'application/json' } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

async function register(i) {
  const r = await json('/api/auth/register', {
    method: 'POST',
    body: { email: `gc${i}@bench.local`, username: `gc_${i}`, password: 'bench-password' },
  });
  return { id: r.user.id, token: r.accessToken };
}

async function httpPhase(events, owner) {
  const chat = await json('/api/chats/direct', {
    method: 'POST',
    token: owner.token,
    body: { userId: owner.id },
  });
  const db = new Client({ connectionString: DB.url });
  await db.connect();
  await db.query(
    `INSERT INTO messages (chat_id, seq, sender_id, client_msg_id, text)
     SELECT $1, g, $2, 'gc-' || g, 'history message number ' || g FROM generate_series(1, 10000) g`,
    [chat.id, owner.id],
  );
  await db.query('UPDATE chats SET last_seq = 10000 WHERE id = $1', [chat.id]);
  await db.query('ANALYZE messages');
  await db.end();
  const endpoints = [
    ['404, no route', '/api/nope', undefined, 404],
    ['401, no token', '/api/users/me', undefined, 401],
    ['GET /api/users/me', '/api/users/me', owner.token, 200],
    ['history page of 50', `/api/history/${chat.id}?limit=50&beforeSeq=5000`, owner.token, 200],
  ];
  for (const [label, path, token, status] of endpoints) {
    const headers = token ? { authorization: `Bearer ${token}` } : {};
    for (let i = 0; i < 200; i++) await (await fetch(URL_ + path, { headers })).arrayBuffer();
    await sleep(300);
    const from = events.length;
    const N = 3000;
    const t = performance.now();
    for (let i = 0; i < N; i++) {
      const res = await fetch(URL_ + path, { headers });
      await res.arrayBuffer();
      if (res.status !== status) throw new Error(`${path}: ${res.status}, expected ${status}`);
    }
    const ms = (performance.now() - t) / N;
    await sleep(300);
    console.log(
      `  ${label.padEnd(20)} ${ms.toFixed(2)} ms/request; per request ${fmt(summary(events, from, N))}`,
    );
  }
}

async function socketPhase(events, users) {
  const pairs = [];
  for (let i = 0; i < PAIRS; i++) {
    const [a, b] = [users[2 * i], users[2 * i + 1]];
    pairs.push({
      a,
      b,
      chatId: (await json('/api/chats/direct', { method: 'POST', token: a.token, body: { userId: b.id } }))
        .id,
    });
  }
  const connect = (u) =>
    new Promise((resolve, reject) => {
      const s = io(URL_, {
        transports: ['websocket'],
        reconnection: false,
        forceNew: true,
        auth: { token: u.token },
      });
      s.once('connect', () => resolve(s));
      s.once('connect_error', reject);
    });
  for (const p of pairs) [p.from, p.to] = [await connect(p.a), await connect(p.b)];
  const sentAt = new Map();
  const latencies = [];
  for (const p of pairs)
    p.to.on('message:new', (m) => {
      const t = sentAt.get(m.clientMsgId);
      if (t !== undefined) latencies.push(performance.now() - t);
      sentAt.delete(m.clientMsgId);
    });
  let n = 0;
  const failed = [];
  const run = async (rate, seconds) => {
    const t0 = performance.now();
    for (let i = 0; i < rate * seconds; i++) {
      const wait = t0 + (i * 1000) / rate - performance.now();
      if (wait > 1) await sleep(wait);
      const p = pairs[n % PAIRS];
      const id = `socket-${n++}`;
      sentAt.set(id, performance.now());
      p.from.emit('message:send', { chatId: p.chatId, text: `bench ${id}`, clientMsgId: id }, (ack) => {
        if (!ack?.ok) failed.push(ack?.error?.code ?? 'no ack');
      });
    }
    await sleep(1000);
  };
  await run(Math.min(RATE, 500), 3); // warm-up
  latencies.length = 0;
  failed.length = 0;
  const from = events.length;
  await run(RATE, SECONDS);
  latencies.sort((x, y) => x - y);
  const q = (f) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * f))]?.toFixed(2);
  console.log(
    `  ${RATE} msg/s for ${SECONDS} s: delivered ${latencies.length}/${RATE * SECONDS} (failed acks: ${failed.length}${failed.length ? ` ${[...new Set(failed)].join(', ')}` : ''}), p50 ${q(0.5)} ms, p99 ${q(0.99)} ms; ` +
      `per message ${fmt(summary(events, from, RATE * SECONDS))}`,
  );
  for (const p of pairs) [p.from, p.to].forEach((s) => s.close());
}

async function main() {
  await DB.create();
  const redis = new Redis(REDIS_URL);
  await redis.flushdb();
  await redis.quit();
  const app = spawn(process.execPath, [...FLAGS, '--trace-gc', join(ROOT, 'dist', 'main.js')], {
    env: {
      ...process.env,
      NODE_ENV: 'production',
      PORT: String(PORT),
      DATABASE_URL: DB.url,
      REDIS_URL,
      JWT_SECRET: 'gc-promotion-secret-gc-promotion-secret-0123',
      LOG_LEVEL: 'warn',
      BCRYPT_ROUNDS: '4',
      THROTTLE_AUTH_PER_MINUTE: '1000000',
      THROTTLE_SEND_PER_10S: '1000000',
      METRICS_PORT: '0',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const events = gcLog(app.stdout);
  try {
    for (let i = 0; ; i++) {
      try {
        await fetch(`${URL_}/api/health`);
        break;
      } catch {
        if (i > 100 || app.exitCode !== null) throw new Error('the app did not start');
        await sleep(200);
      }
    }
    console.log(`node flags: [${FLAGS.join(' ')}]`);
    const users = [];
    for (let i = 0; i < 2 * PAIRS; i += 25)
      users.push(...(await Promise.all(Array.from({ length: 25 }, (_, j) => register(i + j)))));
    console.log('HTTP, one request at a time:');
    await httpPhase(events, users[0]);
    console.log(`Sockets, ${PAIRS} sender -> receiver pairs:`);
    await socketPhase(events, users);
  } finally {
    app.kill('SIGTERM');
    await new Promise((r) => (app.exitCode !== null ? r() : app.once('exit', r)));
    await DB.drop();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
