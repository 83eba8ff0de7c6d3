import { JwtService } from '@nestjs/jwt';
import { TEST_JWT_SECRET, twoInstances } from './support/app';
import { registerUser } from './support/http';
import { connectSocket, settle } from './support/sockets';

describe('realtime delivery across two instances', () => {
  const env = twoInstances();
  const { connect } = env;

  it('refuses a socket without a valid token', async () => {
    await expect(connectSocket(env.a.url, undefined)).rejects.toThrow(/Unauthorized/);
    await expect(connectSocket(env.a.url, 'nonsense')).rejects.toThrow(/Unauthorized/);
    const user = await registerUser(env.apiA);
    const { sid } = JSON.parse(Buffer.from(user.accessToken.split('.')[1], 'base64url').toString());
    const hs512 = new JwtService({ secret: TEST_JWT_SECRET }).sign(
      { sub: user.id, sid },
      { algorithm: 'HS512' },
    );
    await expect(connectSocket(env.a.url, hs512)).rejects.toThrow(/Unauthorized/);
    const hs256 = new JwtService({ secret: TEST_JWT_SECRET }).sign(
      { sub: user.id, sid },
      { expiresIn: '5m' },
    );
    (await connectSocket(env.a.url, hs256)).close();
    await user.api.post('/auth/logout');
    await expect(connectSocket(env.b.url, user.accessToken)).rejects.toThrow(/Unauthorized/);
  });

  it('a message sent on A reaches the recipient on B and the sender’s other socket, once each', async () => {
    const alice = await registerUser(env.apiA, 'alice');
    const bob = await registerUser(env.apiB, 'bob');
    const chat = (await alice.api.post('/chats/direct', { userId: bob.id })).body;
    const aliceSender = await connect(env.a, alice);
    const aliceOther = await connect(env.b, alice);
    const bobOnB = await connect(env.b, bob);
    const bobOnA = await connect(env.a, bob);

    const ack = await aliceSender.emitAck('message:send', {
      chatId: chat.id,
      text: '  hello bob  ',
      clientMsgId: 'm-1',
    });
    expect(ack.ok).toBe(true);
    expect(ack.data).toMatchObject({
      chatId: chat.id,
      seq: 1,
      senderId: alice.id,
      text: 'hello bob',
      read: false,
    });

    for (const s of [bobOnB, bobOnA, aliceOther]) {
      const msg = await s.waitFor('message:new', (m) => m.id === ack.data.id);
      expect(msg).toEqual(ack.data);
    }
    await settle();
    for (const s of [bobOnB, bobOnA, aliceOther]) expect(s.received('message:new')).toHaveLength(1);
    // The sending socket has its ack; it does not get the message a second time.
    expect(aliceSender.received('message:new')).toHaveLength(0);
  });

  it('presence: online with the first socket on any instance, offline only when the last one closes', async () => {
    const alice = await registerUser(env.apiA, 'alice');
    const bob = await registerUser(env.apiA, 'bob');
    await alice.api.post('/chats/direct', { userId: bob.id });
    const watcher = await connect(env.b, bob);
    const profile = async () => (await bob.api.get(`/users/${alice.id}`)).body;
    expect(await profile()).toMatchObject({ online: false, lastSeenAt: null }); // also warms the profile cache

    const first = await connect(env.a, alice);
    expect(await watcher.waitFor('presence', (p) => p.userId === alice.id && p.online)).toMatchObject({
      online: true,
    });
    const second = await connect(env.b, alice);
    expect((await profile()).online).toBe(true);

    first.close();
    await settle(400);
    expect(watcher.received('presence', (p) => p.userId === alice.id && !p.online)).toHaveLength(0);
    expect((await profile()).online).toBe(true);

    second.close();
    const offline = await watcher.waitFor('presence', (p) => p.userId === alice.id && !p.online);
    expect(offline.lastSeenAt).toEqual(expect.any(String));
    const after = await profile();
    expect(after.online).toBe(false);
    // The cached profile was invalidated: lastSeenAt is the one just recorded, on either instance.
    expect(after.lastSeenAt).toBe(offline.lastSeenAt);
    expect((await env.apiA.as(bob.accessToken).get(`/users/${alice.id}`)).body.lastSeenAt).toBe(
      offline.lastSeenAt,
    );
    expect(watcher.received('presence', (p) => p.userId === alice.id && p.online)).toHaveLength(1);
  });

  it('typing is relayed to the other members only, and throttled', async () => {
    const alice = await registerUser(env.apiA, 'alice');
    const bob = await registerUser(env.apiA, 'bob');
    const chatId = (await alice.api.post('/chats/direct', { userId: bob.id })).body.id;
    const typist = await connect(env.a, alice);
    const aliceOther = await connect(env.b, alice);
    const bobSocket = await connect(env.b, bob);

    expect(await typist.emitAck('typing', { chatId, isTyping: true })).toEqual({
      ok: true,
      data: { relayed: true },
    });
    expect(await typist.emitAck('typing', { chatId, isTyping: true })).toEqual({
      ok: true,
      data: { relayed: false },
    });
    expect(await typist.emitAck('typing', { chatId, isTyping: false })).toEqual({
      ok: true,
      data: { relayed: true },
    });
    await bobSocket.waitFor('typing', (t) => t.isTyping === false);
    expect(bobSocket.received('typing')).toEqual([
      { chatId, userId: alice.id, isTyping: true },
      { chatId, userId: alice.id, isTyping: false },
    ]);
    await settle();
    expect(aliceOther.received('typing')).toHaveLength(0);
  });

  it('malformed socket payloads get a failed ack; the socket stays connected and the process up', async () => {
    const alice = await registerUser(env.apiA, 'alice');
    const chatId = (await alice.api.post('/chats/direct', { userId: alice.id })).body.id;
    const socket = await connect(env.a, alice);
    const payloads: unknown[] = [
      null,
      'a string',
      [1, 2, 3],
      42,
      true,
      {},
      { chatId: 'not-a-uuid', text: 'x', clientMsgId: 'ok' },
      { chatId, text: 123, clientMsgId: 'ok' },
      { chatId, text: 'x'.repeat(5000), clientMsgId: 'ok' },
      { chatId, text: '   ', clientMsgId: 'ok' },
      { chatId, text: 'x', clientMsgId: 'bad id!' },
      { chatId, text: 'x', clientMsgId: 'ok', admin: true },
      { chatId, text: { $gt: '' }, clientMsgId: 'ok' },
      { chatId, seq: 'many' },
      { chatId, isTyping: 'yes' },
    ];
    for (const event of ['message:send', 'message:read', 'typing'] as const) {
      for (const payload of payloads) {
        const ack = await socket.emitAck(event, payload);
        expect(ack.ok).toBe(false);
        expect(['VALIDATION_FAILED', 'NOT_A_MEMBER', 'CHAT_NOT_FOUND']).toContain(ack.error.code);
        expect(typeof ack.error.message).toBe('string');
      }
    }
    expect(
      (
        await socket.emitAck('message:send', {
          chatId: '00000000-0000-4000-8000-000000000000',
          text: 'x',
          clientMsgId: 'z',
        })
      ).error.code,
    ).toBe('CHAT_NOT_FOUND');
    // Events without an ack callback, and unknown events, are ignored without harm.
    socket.raw.emit('message:send', null);
    socket.raw.emit('no-such-event', { x: 1 });
    // The server handles a socket's packets in order, so this ack also proves the junk did no harm.
    const fine = await socket.emitAck('message:send', {
      chatId,
      text: 'still works',
      clientMsgId: 'after-junk',
    });
    expect(fine).toMatchObject({ ok: true, data: { text: 'still works', seq: 1 } });
    expect(socket.connected).toBe(true);
    expect((await env.apiA.get('/health')).status).toBe(200);

    // A frame above BODY_LIMIT_BYTES is refused by Socket.IO itself (documented in the README): only that
    // connection closes, and the server carries on.
    const greedy = await connect(env.a, alice);
    const closed = new Promise((resolve) => greedy.socket.once('disconnect', resolve));
    greedy.raw.emit('message:send', {
      chatId,
      text: 'x'.repeat(env.a.config.bodyLimitBytes * 2),
      clientMsgId: 'huge',
    });
    expect(await closed).toEqual(expect.any(String));
    expect(socket.connected).toBe(true);
    expect((await socket.emitAck('typing', { chatId, isTyping: false })).ok).toBe(true);
  });
});
