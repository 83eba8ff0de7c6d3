import { DataSource } from 'typeorm';
import { RunningApp, startApp, twoInstances } from './support/app';
import { Api, registerUser, TestUser } from './support/http';
import Redis from 'ioredis';
import { connectSocket, eventually, settle } from './support/sockets';
import { PresenceService } from '../src/presence/presence.service';
import { SendPool } from '../src/database/send-pool';
import { MessagesRepository } from '../src/messages/messages.repository';
import { MessageDelivery } from '../src/messages/message-delivery';
import { DeliveryOutbox, REDELIVER_AFTER_MS } from '../src/messages/delivery-outbox';
import type { MessagesCreatedEvent } from '../src/messages/messages.events';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { RealtimeGateway } from '../src/realtime/realtime.gateway';
import { createRedisClient } from '../src/redis/redis.module';
import { CuttableProxy } from './support/cuttable-proxy';

describe('messages: idempotency, sequencing, history (two instances)', () => {
  const env = twoInstances();
  const { connect } = env;
  let db: DataSource;
  const directChat = async (x: TestUser, y: TestUser) =>
    (await x.api.post('/chats/direct', { userId: y.id })).body.id as string;

  beforeAll(() => {
    db = env.a.app.get(DataSource);
  });

  /** Alice and Bob in a direct chat, Bob listening on instance B. */
  async function bobListeningOnB() {
    const alice = await registerUser(env.apiA, 'alice');
    const bob = await registerUser(env.apiA, 'bob');
    const chatId = await directChat(alice, bob);
    return { alice, bob, chatId, bobSocket: await connect(env.b, bob) };
  }

  /** A committed message nobody published (what a crash or a missed publication leaves); returns its id. */
  async function storeUnannounced(chatId: string, senderId: string, clientMsgId: string, text: string) {
    const id = crypto.randomUUID();
    await db.query(
      `WITH bump AS (UPDATE chats SET last_seq = last_seq + 1, updated_at = now() WHERE id = $1 RETURNING last_seq)
       INSERT INTO messages (id, chat_id, seq, sender_id, client_msg_id, text) SELECT $2, $1, last_seq, $3, $4, $5 FROM bump`,
      [chatId, id, senderId, clientMsgId, text],
    );
    return id;
  }

  it('25 concurrent sends of one clientMsgId over REST and sockets on two instances: one row, one delivery, one id', async () => {
    const alice = await registerUser(env.apiA, 'alice');
    const bob = await registerUser(env.apiA, 'bob');
    const chatId = await directChat(alice, bob);
    const senders = [await connect(env.a, alice), await connect(env.b, alice)];
    const bobSockets = [await connect(env.a, bob), await connect(env.b, bob)];
    const body = { text: 'exactly once', clientMsgId: 'dup-7f3a' };

    type Outcome = { via: 'socket'; ack: any } | { via: 'rest'; res: { status: number; body: any } };
    const results = await Promise.all(
      Array.from({ length: 25 }, (_, i): Promise<Outcome> => {
        if (i % 3 === 0) {
          return senders[i % 2]
            .emitAck('message:send', { chatId, ...body })
            .then((ack) => ({ via: 'socket' as const, ack }));
        }
        const api = (i % 2 ? env.apiA : env.apiB).as(alice.accessToken);
        return api.post(`/chats/${chatId}/messages`, body).then((res) => ({ via: 'rest' as const, res }));
      }),
    );
    const ids = new Set<string>();
    let created = 0;
    for (const r of results) {
      if (r.via === 'socket') {
        expect(r.ack.ok).toBe(true);
        ids.add(r.ack.data.id);
      } else {
        expect([200, 201]).toContain(r.res.status);
        if (r.res.status === 201) created += 1;
        ids.add(r.res.body.id);
      }
    }
    expect(ids.size).toBe(1);
    expect(created).toBeLessThanOrEqual(1);
    const rows = await db.query(`SELECT id, seq FROM messages WHERE chat_id = $1`, [chatId]);
    expect(rows).toEqual([{ id: [...ids][0], seq: 1 }]);
    expect((await db.query(`SELECT last_seq FROM chats WHERE id = $1`, [chatId]))[0].last_seq).toBe(1);

    await bobSockets[0].waitFor('message:new');
    await bobSockets[1].waitFor('message:new');
    await settle(500);
    for (const s of bobSockets) expect(s.received('message:new')).toHaveLength(1);
    // Alice's sockets: each gets it at most once (the one that created it via socket gets the ack instead).
    for (const s of senders) expect(s.received('message:new').length).toBeLessThanOrEqual(1);

    // Later replays still return the same message; a different text with the same id is a conflict.
    const later = await env.apiB.as(alice.accessToken).post(`/chats/${chatId}/messages`, body);
    expect(later.status).toBe(200);
    expect(later.body.id).toBe([...ids][0]);
    const conflict = await env.apiA
      .as(alice.accessToken)
      .post(`/chats/${chatId}/messages`, { ...body, text: 'something else' });
    expect(conflict.status).toBe(409);
    expect(conflict.body.code).toBe('CLIENT_MSG_ID_CONFLICT');
    const conflictAck = await senders[0].emitAck('message:send', { chatId, ...body, text: 'something else' });
    expect(conflictAck).toMatchObject({ ok: false, error: { code: 'CLIENT_MSG_ID_CONFLICT' } });
    // The same clientMsgId from another sender is a different message.
    const bobsOwn = await bob.api.post(`/chats/${chatId}/messages`, body);
    expect(bobsOwn.status).toBe(201);
    expect(bobsOwn.body.seq).toBe(2);
  });

  it('40 concurrent senders across two instances get seq 2..41 (1 is the group’s creation); a reader catching up meanwhile misses none', async () => {
    const owner = await registerUser(env.apiA, 'own');
    const members = await Promise.all(
      Array.from({ length: 39 }, (_, i) => registerUser(i % 2 ? env.apiA : env.apiB, 'mem')),
    );
    const group = (await owner.api.post('/groups', { name: 'Load', memberIds: members.map((m) => m.id) }))
      .body;
    const everyone = [owner, ...members];
    const viaSocket = await Promise.all(
      everyone.map((u, i) => (i % 4 === 0 ? connect(i % 8 ? env.a : env.b, u) : Promise.resolve(null))),
    );

    // A client catching up with afterSeq while the burst is committing: if a seq could become visible
    // before a smaller one, the cursor would jump past the smaller one and miss it for good.
    let sending = true;
    const seen: number[] = [];
    const reader = (async () => {
      let cursor = 0;
      while (sending || cursor < 41) {
        const page = await owner.api.get(`/history/${group.chatId}?afterSeq=${cursor}&limit=100`);
        for (const m of page.body.items as { seq: number }[]) {
          seen.push(m.seq);
          cursor = m.seq;
        }
      }
    })();

    const results = await Promise.all(
      everyone.map((u, i) =>
        viaSocket[i]
          ? viaSocket[i]
              .emitAck('message:send', {
                chatId: group.chatId,
                text: `from ${i}`,
                clientMsgId: `c${i}`,
              })
              .then((ack) => ack.data)
          : (i % 2 ? env.apiA : env.apiB)
              .as(u.accessToken)
              .post(`/chats/${group.chatId}/messages`, { text: `from ${i}`, clientMsgId: `c${i}` })
              .then((r) => r.body),
      ),
    );
    sending = false;
    await reader;

    const all = Array.from({ length: 41 }, (_, i) => i + 1);
    expect(results.map((m) => m.seq).sort((x, y) => x - y)).toEqual(all.slice(1));
    expect(seen).toEqual(all);
    const rows = await db.query(`SELECT seq FROM messages WHERE chat_id = $1 ORDER BY seq`, [group.chatId]);
    expect(rows.map((r: { seq: number }) => r.seq)).toEqual(all);
  });

  it('batched sends: seq follows commit order, createdAt never decreases with seq, each sender keeps its order', async () => {
    const owner = await registerUser(env.apiA, 'own');
    const senders = await Promise.all(Array.from({ length: 8 }, () => registerUser(env.apiA, 'snd')));
    const group = (await owner.api.post('/groups', { name: 'Order', memberIds: senders.map((u) => u.id) }))
      .body;
    const sockets = await Promise.all(senders.map((u, i) => connect(i % 2 ? env.a : env.b, u)));
    // Each socket fires 25 messages without waiting for acks, all at once: many land in one statement.
    const acks = await Promise.all(
      sockets.flatMap((socket, i) =>
        Array.from({ length: 25 }, (_, n) =>
          socket.emitAck('message:send', {
            chatId: group.chatId,
            text: `${i}:${n}`,
            clientMsgId: `o-${i}-${n}`,
          }),
        ),
      ),
    );
    expect(acks.every((a) => a.ok)).toBe(true);
    const rows: { seq: number; text: string; created_at: Date; sender_id: string }[] = await db.query(
      `SELECT seq, text, created_at, sender_id FROM messages WHERE chat_id = $1 AND type = 'text' ORDER BY seq`,
      [group.chatId],
    );
    // seq 1 is the service message of the group's creation.
    expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 200 }, (_, i) => i + 2));
    for (let i = 1; i < rows.length; i++)
      expect(rows[i].created_at.getTime()).toBeGreaterThanOrEqual(rows[i - 1].created_at.getTime());
    for (const sender of senders) {
      const own = rows.filter((r) => r.sender_id === sender.id).map((r) => Number(r.text.split(':')[1]));
      expect(own).toEqual(Array.from({ length: 25 }, (_, n) => n)); // in the order this socket sent them
    }
    // Every ack carries the seq and createdAt that were stored.
    const bySeq = new Map(rows.map((r) => [r.seq, r]));
    for (const ack of acks)
      expect(new Date(ack.data.createdAt).getTime()).toBe(bySeq.get(ack.data.seq)!.created_at.getTime());
  });

  it('batches over the same chats in any order, 8 at once on two instances: no deadlock, seqs gap-free', async () => {
    const alice = await registerUser(env.apiA, 'alice');
    const others = await Promise.all(Array.from({ length: 10 }, () => registerUser(env.apiA, 'peer')));
    const chatIds = await Promise.all(others.map((o) => directChat(alice, o)));
    const repos = [env.a.app.get(MessagesRepository), env.b.app.get(MessagesRepository)];
    // Each statement locks its chats; without one lock order for all, these would deadlock (40P01).
    const shuffled = () => [...chatIds].sort(() => Math.random() - 0.5);
    let n = 0;
    const outcomes = await Promise.all(
      Array.from({ length: 8 }, (_, lane) =>
        (async () => {
          const kinds: string[] = [];
          for (let round = 0; round < 15; round++) {
            const sends = shuffled().map((chatId) => ({
              id: crypto.randomUUID(),
              chatId,
              senderId: alice.id,
              clientMsgId: `dl-${n++}`,
              text: 'x',
            }));
            const result = await repos[lane % 2].insertBatch(sends, crypto.randomUUID());
            kinds.push(...result.map((r) => r.kind));
          }
          return kinds;
        })(),
      ),
    );
    expect(new Set(outcomes.flat())).toEqual(new Set(['inserted']));
    for (const chatId of chatIds) {
      const rows: { seq: number }[] = await db.query(
        `SELECT seq FROM messages WHERE chat_id = $1 ORDER BY seq`,
        [chatId],
      );
      expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 8 * 15 }, (_, i) => i + 1));
    }
  });

  it('a committed batch its instance never published is published by another instance (the delivery outbox)', async () => {
    const { alice, chatId, bobSocket } = await bobListeningOnB();
    // What a crash right after the commit leaves behind: the row, and the batch's outbox entry, unacknowledged.
    const id = await storeUnannounced(chatId, alice.id, 'orphan', 'lost?');
    const redis = new Redis(process.env.TEST_REDIS_URL!);
    try {
      await redis.zadd(
        'delivery:outbox',
        Date.now() - 2000,
        `${crypto.randomUUID()}|${Date.now() - 2000}|${id}`,
      );
      const delivered = await bobSocket.waitFor('message:new', (m) => m.id === id, 5000);
      expect(delivered).toMatchObject({ id, chatId, text: 'lost?', senderId: alice.id });
      await eventually(async () => (await redis.zcard('delivery:outbox')) === 0);
    } finally {
      await redis.quit();
    }
    await settle();
    expect(bobSocket.received('message:new', (m) => m.id === id)).toHaveLength(1); // published once, not by both
  });

  it('an entry the previous version wrote (no recording time) is still published, not left to fail the sweep', async () => {
    const { alice, chatId, bobSocket } = await bobListeningOnB();
    const id = await storeUnannounced(chatId, alice.id, 'old-format', 'from before the update');
    const redis = new Redis(process.env.TEST_REDIS_URL!);
    try {
      const entry = `${crypto.randomUUID()}|${id}`;
      await redis.zadd('delivery:outbox', Date.now() - 2000, entry);
      expect(await bobSocket.waitFor('message:new', (m) => m.id === id, 5000)).toMatchObject({ id });
      await eventually(async () => (await redis.zscore('delivery:outbox', entry)) === null);
    } finally {
      await redis.quit();
    }
  });

  it('a batch with no rows yet is kept (its statement may commit late), then fenced once older than any statement', async () => {
    const { alice, chatId, bobSocket } = await bobListeningOnB();
    const redis = new Redis(process.env.TEST_REDIS_URL!);
    try {
      // What a stalled PostgreSQL leaves: an entry whose statement has not committed yet, and commits later.
      const late = { batch: crypto.randomUUID(), id: crypto.randomUUID() };
      const lateEntry = `${late.batch}|${Date.now() - 2000}|${late.id}`;
      // And one whose statement never reaches PostgreSQL: recorded long before any statement could still run.
      const lost = { batch: crypto.randomUUID(), id: crypto.randomUUID() };
      const lostEntry = `${lost.batch}|${Date.now() - 60_000}|${lost.id}`;
      await redis.zadd('delivery:outbox', Date.now() - 2000, lateEntry, Date.now() - 2000, lostEntry);

      await eventually(async () => (await redis.zscore('delivery:outbox', lostEntry)) === null);
      const fenced = await db.query(`SELECT batch_id FROM send_fences WHERE batch_id = $1`, [lost.batch]);
      expect(fenced).toHaveLength(1);
      // The statement that was given up can no longer commit: it fails on the fence, rolled back whole.
      await expect(
        db.query(
          `WITH fence AS (INSERT INTO send_fences (batch_id) VALUES ($1))
           INSERT INTO messages (id, chat_id, seq, sender_id, client_msg_id, text) VALUES ($2, $3, 999, $4, 'fenced', 'x')`,
          [lost.batch, lost.id, chatId, alice.id],
        ),
      ).rejects.toMatchObject({ code: '23505', constraint: 'PK_send_fences' });
      expect(await db.query(`SELECT 1 FROM messages WHERE id = $1`, [lost.id])).toHaveLength(0);

      await settle(2000); // several sweeps have looked at the young entry by now
      expect(await redis.zscore('delivery:outbox', lateEntry)).not.toBeNull();
      await db.query(
        `WITH fence AS (INSERT INTO send_fences (batch_id) VALUES ($1)),
              bump AS (UPDATE chats SET last_seq = last_seq + 1 WHERE id = $2 RETURNING last_seq)
         INSERT INTO messages (id, chat_id, seq, sender_id, client_msg_id, text)
         SELECT $3, $2, last_seq, $4, 'late', 'late commit' FROM bump`,
        [late.batch, chatId, late.id, alice.id],
      );
      const delivered = await bobSocket.waitFor('message:new', (m) => m.id === late.id, 5000);
      expect(delivered).toMatchObject({ id: late.id, text: 'late commit' });
      await eventually(async () => (await redis.zscore('delivery:outbox', lateEntry)) === null);
    } finally {
      await redis.quit();
    }
  });

  it('a publication Redis did not take is not acknowledged: a sweeper publishes it again, to the other instance too', async () => {
    const { alice, chatId, bobSocket } = await bobListeningOnB();
    const aliceSocket = await connect(env.a, alice);
    const gateway: unknown = env.a.app.get(RealtimeGateway);
    const pub = (gateway as { pub: Redis }).pub;
    const publish: (channel: string, message: string) => Promise<number> = pub.publish.bind(pub);
    let failed = 0;
    // What ioredis does to a command it had queued while reconnecting: fails it, while later ones go through.
    const spy = jest.spyOn(pub, 'publish').mockImplementation(((channel: string, message: string) => {
      if (failed === 0 && message.includes('lost-publication')) {
        failed++;
        return Promise.reject(new Error('Reached the max retries per request limit (which is 1).'));
      }
      return publish(channel, message);
    }) as never);
    try {
      const ack = await aliceSocket.emitAck('message:send', {
        chatId,
        text: 'lost-publication',
        clientMsgId: 'pub-fail-1',
      });
      expect(ack.ok).toBe(true);
      const delivered = await bobSocket.waitFor(
        'message:new',
        (m) => m.id === ack.data.id,
        4 * REDELIVER_AFTER_MS,
      );
      expect(delivered.text).toBe('lost-publication');
      expect(failed).toBe(1);
    } finally {
      spy.mockRestore();
    }
  });

  it('after a stall of its process, an instance does not publish again what it published and is acknowledging', async () => {
    const { alice, chatId, bobSocket } = await bobListeningOnB();
    const aliceSocket = await connect(env.a, alice);
    const sweepers = [env.a, env.b].map((x) => x.app.get(MessageDelivery));
    const events = env.a.app.get(EventEmitter2);
    const claim = jest.spyOn(env.a.app.get(DeliveryOutbox), 'claimStale');
    let stalledOn: string | undefined;
    let sweptInStall = false;
    // Right after A has published the batch (its listener runs first), before its acknowledgement can go out:
    // A stalls for longer than REDELIVER_AFTER_MS (a long GC, a starved CPU), and its sweeper wakes up first.
    const stall = ({ delivery }: MessagesCreatedEvent) => {
      events.off('messages.created', stall);
      stalledOn = delivery;
      const until = Date.now() + REDELIVER_AFTER_MS + 100;
      while (Date.now() < until); // blocks the process, as a stall does
      void sweepers[0].redeliver();
      sweptInStall = claim.mock.calls.length === 1; // its claim went out before the acknowledgement
    };
    // Only the sweep above runs: B's would see a stalled A as a dead one, and re-publish (as it must).
    await Promise.all(sweepers.map((s) => s.stop()));
    try {
      events.on('messages.created', stall);
      const ack = await aliceSocket.emitAck('message:send', { chatId, text: 'once', clientMsgId: 'stall-1' });
      expect(ack.ok).toBe(true);
      const id = ack.data.id as string;
      await bobSocket.waitFor('message:new', (m) => m.id === id, 5000);
      expect(stalledOn).toContain(id);
      expect(sweptInStall).toBe(true);
      const redis = new Redis(process.env.TEST_REDIS_URL!);
      try {
        await eventually(async () => (await redis.zscore('delivery:outbox', stalledOn!)) === null);
      } finally {
        await redis.quit();
      }
      await settle(500);
      expect(bobSocket.received('message:new', (m) => m.id === id)).toHaveLength(1);
    } finally {
      events.off('messages.created', stall);
      claim.mockRestore();
      sweepers.forEach((s) => s.start());
    }
  });

  it('after a stall while its statement was answered, an instance does not publish the batch twice', async () => {
    const { alice, chatId, bobSocket } = await bobListeningOnB();
    const aliceSocket = await connect(env.a, alice);
    const sweepers = [env.a, env.b].map((x) => x.app.get(MessageDelivery));
    const repo = env.a.app.get(MessagesRepository);
    const claim = jest.spyOn(env.a.app.get(DeliveryOutbox), 'claimStale');
    const insert = repo.insertBatch.bind(repo);
    let sweptInStall = false;
    // The statement has committed and its answer is in, but the process stalls (a long GC, a starved CPU) for
    // longer than REDELIVER_AFTER_MS before the batch is published, and its sweeper runs first.
    const spy = jest.spyOn(repo, 'insertBatch').mockImplementationOnce(async (...args) => {
      const outcomes = await insert(...args);
      const until = Date.now() + REDELIVER_AFTER_MS + 100;
      while (Date.now() < until); // blocks the process, as a stall does
      await sweepers[0].redeliver();
      sweptInStall = claim.mock.calls.length === 1;
      return outcomes;
    });
    // Only the sweep above runs: B's would see a stalled A as a dead one, and re-publish (as it must).
    await Promise.all(sweepers.map((s) => s.stop()));
    try {
      const ack = await aliceSocket.emitAck('message:send', { chatId, text: 'once', clientMsgId: 'stall-2' });
      expect(ack.ok).toBe(true);
      const id = ack.data.id as string;
      await bobSocket.waitFor('message:new', (m) => m.id === id, 5000);
      expect(sweptInStall).toBe(true);
      await settle(500);
      expect(bobSocket.received('message:new', (m) => m.id === id)).toHaveLength(1);
    } finally {
      spy.mockRestore();
      claim.mockRestore();
      sweepers.forEach((s) => s.start());
    }
  });

  it("a sweep leaves alone (neither claims nor renews) the instance's unsettled entries, not failed ones", async () => {
    const sweepers = [env.a, env.b].map((x) => x.app.get(MessageDelivery));
    await Promise.all(sweepers.map((s) => s.stop()));
    const redis = new Redis(process.env.TEST_REDIS_URL!);
    const gone = new Redis(process.env.TEST_REDIS_URL!, { lazyConnect: true, enableOfflineQueue: false });
    try {
      const outbox = new DeliveryOutbox(redis);
      const stale = Date.now() - 2 * REDELIVER_AFTER_MS;
      // Recorded by this instance (and made stale, as a stall would), and one by another.
      const [acking, failing, released] = await Promise.all(
        ['acking', 'failing', 'released'].map((what) => outbox.record([what])),
      );
      const left = `${crypto.randomUUID()}|${stale}|left`;
      await redis.zadd('delivery:outbox', 'XX', stale, acking, stale, failing, stale, released);
      await redis.zadd('delivery:outbox', stale, left);
      outbox.release(released); // its statement failed: whoever sweeps settles it
      const claimed = await outbox.claimStale(1000);
      expect(claimed).toContain(left);
      expect(claimed).toContain(released);
      expect(claimed).not.toContain(acking);
      expect(claimed).not.toContain(failing);
      expect(Number(await redis.zscore('delivery:outbox', acking))).toBe(stale); // not renewed either
      // An acknowledgement that fails gives the entry back to the sweep.
      await expect(outbox.ack(failing, gone)).rejects.toThrow();
      expect(await outbox.claimStale(1000)).toContain(failing);
      await outbox.ack(acking, redis);
      expect(await redis.zscore('delivery:outbox', acking)).toBeNull();
      await redis.zrem('delivery:outbox', failing, left, released);
    } finally {
      gone.disconnect();
      await redis.quit();
      sweepers.forEach((s) => s.start());
    }
  });

  it('after its pub/sub connection was away, an instance re-sends to its sockets what it may have missed', async () => {
    const { alice, chatId, bobSocket } = await bobListeningOnB();
    // A publication B never saw: the row is there, nothing announced it.
    const id = await storeUnannounced(chatId, alice.id, 'missed', 'while away');
    await settle();
    expect(bobSocket.received('message:new', (m) => m.id === id)).toHaveLength(0);
    const redis = new Redis(process.env.TEST_REDIS_URL!);
    try {
      const name = `socket.io-sub:${env.b.app.get(PresenceService).instanceId}`;
      const line = ((await redis.client('LIST')) as string)
        .split('\n')
        .find((l) => l.includes(` name=${name} `));
      expect(line).toBeDefined();
      await redis.client('KILL', 'ID', /\bid=(\d+)/.exec(line!)![1]);
    } finally {
      await redis.quit();
    }
    const delivered = await bobSocket.waitFor('message:new', (m) => m.id === id, 5000);
    expect(delivered).toMatchObject({ id, chatId, text: 'while away', senderId: alice.id });
    expect(bobSocket.connected).toBe(true); // the socket itself never noticed
  });

  it('sends run on the send pool, which keeps one plan for the batch built from index probes (test/send-plan)', async () => {
    const alice = await registerUser(env.apiA, 'alice');
    const bob = await registerUser(env.apiA, 'bob');
    const chatId = await directChat(alice, bob);
    const sent = await alice.api.post(`/chats/${chatId}/messages`, {
      text: 'on the send pool',
      clientMsgId: 'sp1',
    });
    expect(sent.status).toBe(201);
    // The pool opens connections only for sends, so it has some now, and each has the batch statement prepared.
    const pool = env.a.app.get(SendPool).pool;
    expect(pool.totalCount).toBeGreaterThanOrEqual(1);
    const clients = await Promise.all(Array.from({ length: pool.totalCount }, () => pool.connect()));
    try {
      for (const client of clients) {
        const settings = await client.query(
          `SELECT name, setting FROM pg_settings
            WHERE name IN ('plan_cache_mode', 'enable_seqscan', 'enable_hashjoin', 'enable_mergejoin') ORDER BY name`,
        );
        expect(settings.rows).toEqual([
          { name: 'enable_hashjoin', setting: 'off' },
          { name: 'enable_mergejoin', setting: 'off' },
          { name: 'enable_seqscan', setting: 'off' },
          { name: 'plan_cache_mode', setting: 'force_generic_plan' },
        ]);
        const prepared = await client.query(`SELECT name FROM pg_prepared_statements`);
        expect(prepared.rows).toEqual([{ name: 'messages-send-batch' }]);
      }
    } finally {
      clients.forEach((c) => c.release());
    }
    // The main pool's connections keep PostgreSQL's defaults.
    const [{ enable_seqscan }] = await db.query('SHOW enable_seqscan');
    expect(enable_seqscan).toBe('on');
  });

  it('history by offset, by beforeSeq and by afterSeq; bad parameters are 400', async () => {
    const alice = await registerUser(env.apiA, 'alice');
    const bob = await registerUser(env.apiA, 'bob');
    const chatId = await directChat(alice, bob);
    for (let i = 1; i <= 12; i++) {
      const res = await (i % 2 ? alice : bob).api.post(`/chats/${chatId}/messages`, {
        text: `m${i}`,
        clientMsgId: `h${i}`,
      });
      expect(res.status).toBe(201);
    }
    const texts = (r: { body: { items: { text: string }[] } }) => r.body.items.map((m) => m.text);

    const first = await alice.api.get(`/history/${chatId}?limit=5`);
    expect(texts(first)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);
    expect(first.body.hasMore).toBe(true);
    const third = await alice.api.get(`/history/${chatId}?limit=5&offset=10`);
    expect(texts(third)).toEqual(['m11', 'm12']);
    expect(third.body.hasMore).toBe(false);

    const newest = await alice.api.get(`/history/${chatId}?beforeSeq=13&limit=5`);
    expect(texts(newest)).toEqual(['m8', 'm9', 'm10', 'm11', 'm12']);
    expect(newest.body.hasMore).toBe(true);
    const oldest = await alice.api.get(`/history/${chatId}?beforeSeq=3&limit=5`);
    expect(texts(oldest)).toEqual(['m1', 'm2']);
    expect(oldest.body.hasMore).toBe(false);

    const catchUp = await bob.api.get(`/history/${chatId}?afterSeq=9`);
    expect(texts(catchUp)).toEqual(['m10', 'm11', 'm12']);
    expect(catchUp.body.hasMore).toBe(false);
    expect(catchUp.body.items[0]).toMatchObject({
      seq: 10,
      chatId,
      senderId: bob.id,
      clientMsgId: 'h10',
      editedAt: null,
      deletedAt: null,
    });

    for (const bad of [
      'limit=0',
      'limit=101',
      'limit=x',
      'offset=-1',
      'offset=1.5',
      'beforeSeq=0',
      'afterSeq=-3',
      'offset=1&afterSeq=2',
      'foo=1',
    ]) {
      const res = await alice.api.get(`/history/${chatId}?${bad}`);
      expect({ bad, status: res.status, code: res.body.code }).toEqual({
        bad,
        status: 400,
        code: 'VALIDATION_FAILED',
      });
    }
    expect((await alice.api.get(`/history/not-a-uuid`)).status).toBe(400);
    expect((await alice.api.get(`/history/00000000-0000-4000-8000-000000000000`)).status).toBe(404);
  });

  it('rejects bad message bodies with 400 and stores nothing', async () => {
    const alice = await registerUser(env.apiA, 'alice');
    const chatId = await directChat(alice, alice);
    const bad = [
      { text: '   ', clientMsgId: 'x1' },
      { text: 'x'.repeat(4097), clientMsgId: 'x2' },
      { text: 42, clientMsgId: 'x3' },
      { text: 'ok', clientMsgId: 'has space' },
      { text: 'ok', clientMsgId: 'y'.repeat(65) },
      { text: 'ok' },
      { text: 'ok', clientMsgId: 'x4', extra: true },
    ];
    for (const body of bad) {
      const res = await alice.api.post(`/chats/${chatId}/messages`, body);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
    }
    // 4096 characters is fine, also when they are astral (2 UTF-16 units each).
    expect(
      (await alice.api.post(`/chats/${chatId}/messages`, { text: '😀'.repeat(4096), clientMsgId: 'emoji' }))
        .status,
    ).toBe(201);
    expect(
      (await db.query(`SELECT count(*)::int AS n FROM messages WHERE chat_id = $1`, [chatId]))[0].n,
    ).toBe(1);
  });

  it('edit and delete: sender only, soft delete keeps id and seq, events to members', async () => {
    const alice = await registerUser(env.apiA, 'alice');
    const bob = await registerUser(env.apiA, 'bob');
    const chatId = await directChat(alice, bob);
    const bobSocket = await connect(env.b, bob);
    const sent = (await alice.api.post(`/chats/${chatId}/messages`, { text: 'typo', clientMsgId: 'e1' }))
      .body;

    expect((await bob.api.patch(`/messages/${sent.id}`, { text: 'hijack' })).status).toBe(403);
    expect((await bob.api.delete(`/messages/${sent.id}`)).status).toBe(403);

    const edited = await alice.api.patch(`/messages/${sent.id}`, { text: 'fixed' });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ id: sent.id, seq: sent.seq, text: 'fixed' });
    expect(edited.body.editedAt).not.toBeNull();
    expect(await bobSocket.waitFor('message:updated', (m) => m.id === sent.id)).toMatchObject({
      text: 'fixed',
    });

    expect((await alice.api.delete(`/messages/${sent.id}`)).status).toBe(204);
    expect(await bobSocket.waitFor('message:deleted')).toEqual({ id: sent.id, chatId, seq: sent.seq });
    const [stored] = (await bob.api.get(`/history/${chatId}`)).body.items;
    expect(stored).toMatchObject({ id: sent.id, seq: sent.seq, text: null });
    expect(stored.deletedAt).not.toBeNull();
    expect((await alice.api.patch(`/messages/${sent.id}`, { text: 'again' })).status).toBe(409);
    expect((await alice.api.delete(`/messages/${sent.id}`)).status).toBe(204);
    await settle();
    expect(bobSocket.received('message:deleted')).toHaveLength(1);
    // A replay of a deleted message's clientMsgId returns it, still deleted, and creates nothing.
    const replay = await alice.api.post(`/chats/${chatId}/messages`, { text: 'typo', clientMsgId: 'e1' });
    expect(replay.status).toBe(200);
    expect(replay.body).toMatchObject({ id: sent.id, text: null });
  });
});

describe('send rate limit (THROTTLE_SEND_PER_10S)', () => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await startApp({ THROTTLE_SEND_PER_10S: '3' });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('429 with Retry-After over REST, a failed ack with retryAfter over sockets; replays stay free', async () => {
    const api = new Api(app.url);
    const alice = await registerUser(api, 'alice');
    const chatId = (await alice.api.post('/chats/direct', { userId: alice.id })).body.id;
    for (let i = 1; i <= 3; i++)
      expect(
        (await alice.api.post(`/chats/${chatId}/messages`, { text: `t${i}`, clientMsgId: `r${i}` })).status,
      ).toBe(201);

    const limited = await alice.api.post(`/chats/${chatId}/messages`, { text: 't4', clientMsgId: 'r4' });
    expect(limited.status).toBe(429);
    expect(limited.body.code).toBe('RATE_LIMITED');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(10);

    const replay = await alice.api.post(`/chats/${chatId}/messages`, { text: 't2', clientMsgId: 'r2' });
    expect(replay.status).toBe(200);

    const socket = await connectSocket(app.url, alice.accessToken);
    try {
      const ack = await socket.emitAck('message:send', { chatId, text: 't5', clientMsgId: 'r5' });
      expect(ack).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
      expect(ack.error.retryAfter).toBeGreaterThanOrEqual(1);
      const replayAck = await socket.emitAck('message:send', { chatId, text: 't3', clientMsgId: 'r3' });
      expect(replayAck).toMatchObject({ ok: true, data: { clientMsgId: 'r3', seq: 3 } });
    } finally {
      socket.close();
    }
  });
});

describe('send rate limit across instances: units held by one instance still count for all', () => {
  const env = twoInstances({ THROTTLE_SEND_PER_10S: '3' });

  it('a user sending through two instances in turn gets exactly the limit, then 429 on both', async () => {
    const alice = await registerUser(env.apiA, 'alice');
    const onB = new Api(env.b.url, alice.accessToken);
    const chatId = (await alice.api.post('/chats/direct', { userId: alice.id })).body.id;
    const statuses: number[] = [];
    for (let i = 1; i <= 6; i++) {
      const api = i % 2 ? alice.api : onB;
      statuses.push(
        (await api.post(`/chats/${chatId}/messages`, { text: `t${i}`, clientMsgId: `x${i}` })).status,
      );
    }
    // Each instance asked Redis for one unit more than it needed and holds it: still three in all.
    expect(statuses).toEqual([201, 201, 201, 429, 429, 429]);
    const history = await alice.api.get(`/history/${chatId}?limit=10`);
    expect(history.body.items.map((m: { text: string }) => m.text).sort()).toEqual(['t1', 't2', 't3']);
  });
});

describe('delivery outbox: an entry written ahead of its statement gets to Redis', () => {
  // No instance runs here: nothing sweeps the outbox while these tests look at it.
  const OUTBOX = 'delivery:outbox';
  let direct: Redis;
  beforeAll(() => {
    direct = new Redis(process.env.TEST_REDIS_URL!);
  });
  afterAll(async () => {
    await direct.quit();
  });

  async function outboxThroughCutConnection() {
    const { proxy, url } = await CuttableProxy.forService(process.env.TEST_REDIS_URL!, 6379);
    const client = createRedisClient(url);
    await client.ping();
    return { proxy, client, outbox: new DeliveryOutbox(client) };
  }

  it('Redis did not take the write (its connection was cut): it is written again once Redis is back', async () => {
    const { proxy, client, outbox } = await outboxThroughCutConnection();
    try {
      await proxy.cut();
      const { entry, recorded } = outbox.begin(['m-cut-1']);
      let settled = false;
      void recorded.then(() => (settled = true));
      await new Promise((r) => setTimeout(r, 1500)); // several failed attempts
      expect(settled).toBe(false);
      expect(await direct.zscore(OUTBOX, entry)).toBeNull();
      await proxy.open();
      await recorded;
      expect(await direct.zscore(OUTBOX, entry)).not.toBeNull();
      await direct.zrem(OUTBOX, entry);
    } finally {
      client.disconnect();
      await proxy.cut();
    }
  });

  it('an acknowledgement given while the write was not yet taken removes the entry after it, not before', async () => {
    const { proxy, client, outbox } = await outboxThroughCutConnection();
    try {
      await proxy.cut();
      const { entry, recorded } = outbox.begin(['m-cut-2']);
      // Acknowledged through a healthy connection (as the gateway does through its publisher).
      const acked = outbox.ack(entry, direct);
      await new Promise((r) => setTimeout(r, 500));
      await proxy.open();
      await Promise.all([recorded, acked]);
      expect(await direct.zscore(OUTBOX, entry)).toBeNull();
    } finally {
      client.disconnect();
      await proxy.cut();
    }
  });
});
