// The bare baseline: a minimal Socket.IO server that relays each message to its recipients' room and does
// one plain INSERT into an equivalent table. No auth, validation, membership, idempotency, seq or Redis.
const http = require('http');
const { Server } = require('socket.io');
const { Pool } = require('pg');

const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 20 });
const server = http.createServer(async (req, res) => {
  // History, bare: the same keyset/offset query the app runs, straight to JSON.
  const url = new URL(req.url, 'http://x');
  if (url.pathname === '/metrics') {
    // The app's send-batch figures, in its format, for the bench to put side by side: each INSERT is a
    // "batch" of one whose statement is the INSERT (queued and Redis do not exist here).
    res.writeHead(200, { 'content-type': 'text/plain' });
    return res.end(
      `send_batch_size_sum ${inserts.count}\nsend_batch_size_count ${inserts.count}\n` +
        `send_batch_phase_seconds_sum{phase="statement"} ${inserts.seconds}\n` +
        `send_batch_phase_seconds_count{phase="statement"} ${inserts.count}\n`,
    );
  }
  if (url.pathname === '/history') {
    const chatId = url.searchParams.get('chatId');
    const limit = Number(url.searchParams.get('limit') ?? 50);
    const before = url.searchParams.get('beforeSeq');
    const { rows } = before
      ? await pool.query('SELECT * FROM baseline_messages WHERE chat_id = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3', [chatId, Number(before), limit])
      : await pool.query('SELECT * FROM baseline_messages WHERE chat_id = $1 ORDER BY seq LIMIT $2 OFFSET $3', [chatId, limit, Number(url.searchParams.get('offset') ?? 0)]);
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(JSON.stringify({ items: rows }));
  }
  res.writeHead(404);
  res.end();
});
const io = new Server(server, { path: '/socket.io' });
let seq = 0;
const inserts = { count: 0, seconds: 0 };
io.on('connection', (socket) => {
  const { userId, rooms = [] } = socket.handshake.auth ?? {};
  socket.join(`user:${userId}`);
  for (const r of rooms) socket.join(r);
  socket.on('send', async ({ to, room, chatId, text, clientMsgId }, ack) => {
    try {
      const started = performance.now();
      const { rows } = await pool.query(
        'INSERT INTO baseline_messages (chat_id, seq, sender_id, client_msg_id, text) VALUES ($1, $2, $3, $4, $5) RETURNING id, created_at',
        [chatId, ++seq, userId, clientMsgId, text],
      );
      inserts.count += 1;
      inserts.seconds += (performance.now() - started) / 1000;
      const message = { id: rows[0].id, chatId, senderId: userId, clientMsgId, text, createdAt: rows[0].created_at };
      socket.to(room ?? `user:${to}`).emit('msg', message);
      ack?.({ ok: true, data: message });
    } catch (err) {
      ack?.({ ok: false, error: { message: String(err) } });
    }
  });
});
server.listen(Number(process.env.PORT), '127.0.0.1', () => console.log('baseline listening'));
process.on('SIGTERM', () => io.close(() => pool.end().then(() => process.exit(0))));
