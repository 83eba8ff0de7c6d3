/**
 * node test/bench/statement-parts.js [rounds, default 2000]   (after `npm run build`)
 *
 * What the parts of the send batch statement cost in latency, one send per statement on one connection of the
 * send pool's settings, against the bare INSERT of the baseline server (its table and its statement): the statement as the app runs it, without the sender's read mark
 * (own_mark), without the fence row. The variants run in turn, round after round, after a warm-up, in a
 * database of its own (messenger_bench_parts, dropped at the end). Not part of `npm run bench`.
 */
const { randomUUID } = require('crypto');
const { join } = require('path');
const { Client, Pool } = require('pg');
const { directChats, scratchDatabase } = require('./scratch-database');

const dist = join(__dirname, '..', '..', 'dist');
const { SEND_BATCH_SQL } = require(join(dist, 'messages', 'messages.repository.js'));
const { sendPoolOptions } = require(join(dist, 'database', 'typeorm-options.js'));
const DB = scratchDatabase('messenger_bench_parts');
const N = Number(process.argv[2] ?? 2000);
const FENCE = /fence AS \(\s*INSERT INTO send_fences \(batch_id\) VALUES \(\$6::uuid\)\s*\),\s*/;
const OWN = /,\s*own_mark AS \([\s\S]*?cm\.last_read_seq < x\.seq\s*\)/;
if (!OWN.test(SEND_BATCH_SQL) || !FENCE.test(SEND_BATCH_SQL))
  throw new Error('statement-parts: the send statement changed; update the patterns');
const variants = {
  full: SEND_BATCH_SQL,
  'no own_mark': SEND_BATCH_SQL.replace(OWN, ''),
  'no fence': SEND_BATCH_SQL.replace(FENCE, 'fence AS (SELECT $6::uuid),'),
  bare: 'INSERT INTO baseline_messages (chat_id, seq, sender_id, client_msg_id, text) VALUES ($1, $2, $3, $4, $5) RETURNING id, created_at',
};
(async () => {
  await DB.create();
  const db = new Client({ connectionString: DB.url });
  await db.connect();
  await db.query(
    `CREATE TABLE baseline_messages (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(), chat_id uuid NOT NULL, seq integer NOT NULL, sender_id uuid NOT NULL,
      client_msg_id varchar(64) NOT NULL, text varchar(4096), created_at timestamptz NOT NULL DEFAULT now())`,
  );
  await db.query('CREATE INDEX ON baseline_messages (chat_id, seq)'); // as test/bench/run.ts makes it
  const chats = await directChats(db, 1000);
  await db.query('VACUUM ANALYZE');
  await db.end();
  const pool = new Pool({ ...sendPoolOptions(DB.url, 5000), max: 1 });
  let k = 0;
  const one = () => {
    const chat = chats[Math.floor(Math.random() * chats.length)];
    return {
      id: randomUUID(),
      chatId: chat.id,
      senderId: Math.random() < 0.5 ? chat.a : chat.b,
      clientMsgId: `c${k++}`,
      text: 'a message of some length',
    };
  };
  const times = Object.fromEntries(Object.keys(variants).map((v) => [v, []]));
  let seq = 0;
  const exec = async (name) => {
    const x = one();
    const values =
      name === 'bare'
        ? [x.chatId, ++seq, x.senderId, x.clientMsgId, x.text]
        : [[x.id], [x.chatId], [x.senderId], [x.clientMsgId], [x.text], randomUUID()];
    const t = performance.now();
    await pool.query({ name, text: variants[name], values });
    return performance.now() - t;
  };
  for (let i = 0; i < 300; i++) for (const v of Object.keys(variants)) await exec(v);
  for (let round = 0; round < N; round++) for (const v of Object.keys(variants)) times[v].push(await exec(v));
  for (const [v, t] of Object.entries(times)) {
    t.sort((a, b) => a - b);
    const mean = t.reduce((a, b) => a + b, 0) / t.length;
    console.log(
      `${v.padEnd(14)} mean ${mean.toFixed(3)} p50 ${t[t.length >> 1].toFixed(3)} p90 ${t[Math.floor(t.length * 0.9)].toFixed(3)} ms`,
    );
  }
  await pool.end();
  await DB.drop();
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
