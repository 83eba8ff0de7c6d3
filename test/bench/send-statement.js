/**
 * node test/bench/send-statement.js [messages per run, default 16000]   (after `npm run build`)
 *
 * PostgreSQL CPU per stored message of the send batch statement alone (MessagesRepository.insertBatch from
 * dist/), by batch size, planned for every execution (a custom plan, what the app did before the send pool)
 * and on the send pool's settings (one generic plan per connection, sendPoolOptions). Each run starts from an
 * empty `messages` table in a database of its own (messenger_bench_statement, dropped at the end), with 2,000
 * users in 1,000 direct chats and 4 connections sending at once, and reads the CPU time of those 4 backends
 * from /proc, so it needs PostgreSQL on this machine. Not part of `npm run bench`: it isolates one statement.
 */
const { randomUUID } = require('crypto');
const { readFileSync } = require('fs');
const { join } = require('path');
const { Client, Pool } = require('pg');
const { directChats, scratchDatabase } = require('./scratch-database');

const dist = join(__dirname, '..', '..', 'dist');
const { MessagesRepository } = require(join(dist, 'messages', 'messages.repository.js'));
const { poolOptions, sendPoolOptions } = require(join(dist, 'database', 'typeorm-options.js'));

const N = Number(process.argv[2] ?? 16000);
const CONNECTIONS = 4;
const DB = scratchDatabase('messenger_bench_statement');

const MODES = {
  'custom plan per execution': (u) => ({
    ...poolOptions(5000),
    connectionString: u,
    options: '-c plan_cache_mode=force_custom_plan',
  }),
  'send pool (generic plan)': (u) => sendPoolOptions(u, 5000),
};

/** CPU milliseconds of a backend so far (utime + stime; USER_HZ is 100 on Linux). */
const cpuMs = (pid) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
};

async function run(mode, batchSize) {
  const db = new Client({ connectionString: DB.url });
  await db.connect();
  await db.query('TRUNCATE messages, send_fences, chat_members, chats, users CASCADE');
  const chats = await directChats(db, 1000);
  await db.query('VACUUM ANALYZE');
  await db.query('CHECKPOINT');
  await db.end();

  const pool = new Pool({ ...MODES[mode](DB.url), max: CONNECTIONS, idleTimeoutMillis: 0 });
  const repo = new MessagesRepository(undefined, { pool });
  const clients = await Promise.all(Array.from({ length: CONNECTIONS }, () => pool.connect()));
  const pids = [];
  for (const c of clients) pids.push((await c.query('SELECT pg_backend_pid() AS pid')).rows[0].pid);
  clients.forEach((c) => c.release());

  let k = 0;
  const batch = () =>
    Array.from({ length: batchSize }, () => {
      const chat = chats[Math.floor(Math.random() * chats.length)];
      const senderId = Math.random() < 0.5 ? chat.a : chat.b;
      return {
        id: randomUUID(),
        chatId: chat.id,
        senderId,
        clientMsgId: `c${k++}`,
        text: 'a message of some length',
      };
    });
  const sendAll = async (total) => {
    const perConnection = Math.ceil(total / batchSize / CONNECTIONS);
    await Promise.all(
      pids.map(async () => {
        for (let i = 0; i < perConnection; i++) await repo.insertBatch(batch(), randomUUID());
      }),
    );
    return perConnection * CONNECTIONS * batchSize;
  };
  await sendAll(800); // warm-up: connections made, statements prepared (and planned, for the send pool)
  const before = pids.reduce((sum, pid) => sum + cpuMs(pid), 0);
  const sent = await sendAll(N);
  const after = pids.reduce((sum, pid) => sum + cpuMs(pid), 0);
  await pool.end();
  return ((after - before) / sent) * 1000;
}

(async () => {
  await DB.create();
  try {
    console.log(
      `PostgreSQL backend CPU per stored message (us), ${N} messages per cell, ${CONNECTIONS} connections`,
    );
    console.log(['batch size', ...Object.keys(MODES)].map((h) => h.padEnd(28)).join(''));
    for (const size of [1, 4, 16, 64]) {
      const cells = [];
      for (const mode of Object.keys(MODES)) cells.push((await run(mode, size)).toFixed(0));
      console.log([String(size), ...cells].map((c) => c.padEnd(28)).join(''));
    }
  } finally {
    await DB.drop();
  }
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
