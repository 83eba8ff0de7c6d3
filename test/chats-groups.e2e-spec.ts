import { DataSource } from 'typeorm';
import { MembershipService } from '../src/chats/membership.service';
import { VersionedCache } from '../src/redis/versioned-cache';
import { twoInstances } from './support/app';
import { registerUser, TestUser } from './support/http';
import { settle } from './support/sockets';

describe('chats, groups, receipts and access (two instances)', () => {
  const env = twoInstances();
  const { connect } = env;
  const send = async (u: TestUser, chatId: string, text: string) => {
    const res = await u.api.post(`/chats/${chatId}/messages`, {
      text,
      clientMsgId: `${text.replace(/\W/g, '')}${Date.now()}${Math.random().toString(36).slice(2)}`,
    });
    expect(res.status).toBe(201);
    return res.body;
  };

  it('opens one direct chat per pair even under concurrent calls (201 once, then 200), and a saved chat', async () => {
    const alice = await registerUser(env.apiA, 'alice');
    const bob = await registerUser(env.apiA, 'bob');
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        (i % 2 ? alice.api : bob.api.as(bob.accessToken)).post('/chats/direct', {
          userId: i % 2 ? bob.id : alice.id,
        }),
      ),
    );
    expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 200)).toHaveLength(9);
    const chat = results[0].body;
    expect(chat).toMatchObject({
      type: 'direct',
      lastSeq: 0,
      lastMessage: null,
      unreadCount: 0,
      readAllSeq: 0,
      groupId: null,
    });
    expect(chat.members.map((m: { userId: string }) => m.userId).sort()).toEqual([alice.id, bob.id].sort());
    expect((await alice.api.get(`/chats/${chat.id}`)).body.title).toBe(bob.username);

    const saved = await alice.api.post('/chats/direct', { userId: alice.id });
    expect(saved.status).toBe(201);
    expect(saved.body).toMatchObject({
      type: 'saved',
      title: 'Saved messages',
      members: [{ userId: alice.id, role: 'member' }],
    });
    expect((await alice.api.post('/chats/direct', { userId: alice.id })).status).toBe(200);
    const note = await send(alice, saved.body.id, 'note to self');
    expect(note.read).toBe(true);

    expect(
      (await alice.api.post('/chats/direct', { userId: '00000000-0000-4000-8000-000000000000' })).status,
    ).toBe(404);
    expect((await alice.api.post('/chats/direct', { userId: 'nope' })).status).toBe(400);
  });

  it('lists chats by recent activity with last message and unread count', async () => {
    const alice = await registerUser(env.apiA, 'alice');
    const bob = await registerUser(env.apiA, 'bob');
    const carol = await registerUser(env.apiA, 'carol');
    const withBob = (await alice.api.post('/chats/direct', { userId: bob.id })).body.id;
    const withCarol = (await alice.api.post('/chats/direct', { userId: carol.id })).body.id;
    await send(bob, withBob, 'b1');
    await send(bob, withBob, 'b2');
    await send(carol, withCarol, 'c1');
    const m = await send(bob, withBob, 'b3');
    await bob.api.delete(`/messages/${m.id}`);

    const list = (await alice.api.get('/chats')).body;
    expect(list.map((c: { id: string }) => c.id)).toEqual([withBob, withCarol]);
    expect(list[0]).toMatchObject({ lastSeq: 3, unreadCount: 2, lastMessage: { seq: 3, text: null } });
    expect(list[1]).toMatchObject({
      lastSeq: 1,
      unreadCount: 1,
      lastMessage: { text: 'c1', senderId: carol.id },
    });
    // The sender's own messages never count as unread for them.
    expect((await bob.api.get(`/chats/${withBob}`)).body.unreadCount).toBe(0);
  });

  it('receipts: direct read notifies the sender; marks never move back; unread counts follow', async () => {
    const alice = await registerUser(env.apiA, 'alice');
    const bob = await registerUser(env.apiA, 'bob');
    const chatId = (await alice.api.post('/chats/direct', { userId: bob.id })).body.id;
    const aliceSocket = await connect(env.a, alice);
    const bobSocket = await connect(env.b, bob);
    const m1 = await send(alice, chatId, 'one');
    const m2 = await send(alice, chatId, 'two');
    expect((await bob.api.get(`/chats/${chatId}`)).body.unreadCount).toBe(2);

    const ack = await bobSocket.emitAck('message:read', { chatId, seq: m1.seq });
    expect(ack).toEqual({ ok: true, data: { chatId, userId: bob.id, lastReadSeq: 1, readAllSeq: 1 } });
    expect(await aliceSocket.waitFor('receipt', (r) => r.userId === bob.id)).toEqual(ack.data);
    expect((await bob.api.get(`/chats/${chatId}`)).body.unreadCount).toBe(1);
    let history = (await alice.api.get(`/history/${chatId}`)).body.items;
    expect(history.map((m: { read: boolean }) => m.read)).toEqual([true, false]);

    // Backwards is ignored (and sends no receipt); beyond the newest is clamped.
    const back = await bob.api.post(`/chats/${chatId}/read`, { seq: 0 });
    expect(back.body).toMatchObject({ lastReadSeq: 1, readAllSeq: 1 });
    const far = await bob.api.post(`/messages/${m2.id}/read`);
    expect(far.body).toMatchObject({ lastReadSeq: 2, readAllSeq: 2 });
    const beyond = await bob.api.post(`/chats/${chatId}/read`, { seq: 999 });
    expect(beyond.body).toMatchObject({ lastReadSeq: 2, readAllSeq: 2 });
    await aliceSocket.waitFor('receipt', (r) => r.lastReadSeq === 2);
    await settle();
    expect(aliceSocket.received('receipt', (r) => r.userId === bob.id)).toHaveLength(2);
    history = (await alice.api.get(`/history/${chatId}`)).body.items;
    expect(history.every((m: { read: boolean }) => m.read)).toBe(true);
    expect((await bob.api.get(`/chats/${chatId}`)).body.unreadCount).toBe(0);
    for (const bad of [{ seq: -1 }, { seq: 'x' }, { seq: 1.5 }, {}])
      expect((await bob.api.post(`/chats/${chatId}/read`, bad)).status).toBe(400);
  });

  it('group receipts: readAllSeq moves only when every member has read', async () => {
    const [owner, m1, m2] = await Promise.all([
      registerUser(env.apiA, 'own'),
      registerUser(env.apiA, 'gm'),
      registerUser(env.apiA, 'gm'),
    ]);
    const group = (await owner.api.post('/groups', { name: 'Trio', memberIds: [m1.id, m2.id] })).body;
    const ownerSocket = await connect(env.a, owner);
    const msg = await send(owner, group.chatId, 'hello all');

    // seq 1 is the service message "owner created the group"; the text message comes after it.
    expect(msg.seq).toBe(2);
    const sent = async () =>
      (await owner.api.get(`/history/${group.chatId}`)).body.items.find(
        (m: { id: string }) => m.id === msg.id,
      );
    const first = await m1.api.post(`/chats/${group.chatId}/read`, { seq: msg.seq });
    expect(first.body).toMatchObject({ lastReadSeq: msg.seq, readAllSeq: 0 });
    expect(await ownerSocket.waitFor('receipt', (r) => r.userId === m1.id)).toMatchObject({ readAllSeq: 0 });
    expect((await sent()).read).toBe(false);

    const second = await m2.api.post(`/chats/${group.chatId}/read`, { seq: msg.seq });
    expect(second.body).toMatchObject({ lastReadSeq: msg.seq, readAllSeq: msg.seq });
    expect(await ownerSocket.waitFor('receipt', (r) => r.userId === m2.id)).toMatchObject({
      readAllSeq: msg.seq,
    });
    expect((await sent()).read).toBe(true);
  });

  it('groups: owner/admin manage members, roles, renames; a late joiner starts read up to now', async () => {
    const [owner, admin, member, outsider, late] = await Promise.all(
      ['own', 'adm', 'mem', 'out', 'late'].map((p) => registerUser(env.apiA, p)),
    );
    const created = await owner.api.post('/groups', {
      name: '  Team  ',
      memberIds: [admin.id, member.id, owner.id],
    });
    expect(created.status).toBe(201);
    const group = created.body;
    expect(group).toMatchObject({ name: 'Team', creatorId: owner.id });
    expect(group.members).toEqual(
      expect.arrayContaining([
        { userId: owner.id, role: 'owner' },
        { userId: admin.id, role: 'member' },
        { userId: member.id, role: 'member' },
      ]),
    );
    expect(group.members).toHaveLength(3);

    expect(
      (await member.api.patch(`/groups/${group.id}/members/${admin.id}`, { role: 'admin' })).status,
    ).toBe(403);
    expect((await owner.api.patch(`/groups/${group.id}/members/${admin.id}`, { role: 'admin' })).status).toBe(
      200,
    );
    expect((await member.api.patch(`/groups/${group.id}`, { name: 'Mine' })).status).toBe(403);
    expect((await admin.api.patch(`/groups/${group.id}`, { name: 'Renamed' })).body.name).toBe('Renamed');
    expect((await member.api.post(`/groups/${group.id}/members`, { userIds: [outsider.id] })).status).toBe(
      403,
    );
    expect((await outsider.api.get(`/groups/${group.id}`)).status).toBe(403);
    expect((await admin.api.delete(`/groups/${group.id}/members/${owner.id}`)).status).toBe(403);
    expect((await member.api.delete(`/groups/${group.id}/members/${admin.id}`)).status).toBe(403);
    expect(
      (await owner.api.post('/groups', { name: 'x', memberIds: ['00000000-0000-4000-8000-000000000000'] }))
        .status,
    ).toBe(404);
    expect((await owner.api.post('/groups', { name: '', memberIds: [] })).status).toBe(400);

    await send(owner, group.chatId, 'before you came');
    await send(owner, group.chatId, 'still before');
    const lateSocket = await connect(env.b, late);
    const added = await admin.api.post(`/groups/${group.id}/members`, { userIds: [late.id, member.id] });
    expect(added.status).toBe(200);
    expect(added.body.members).toHaveLength(4);
    const announced = await lateSocket.waitFor('chat:new', (c) => c.id === group.chatId);
    // 1 created, 2 renamed, 3-4 the two texts, 5 "admin added late" (member was in already).
    expect(announced).toMatchObject({
      type: 'group',
      title: 'Renamed',
      groupId: group.id,
      unreadCount: 0,
      lastSeq: 5,
      lastMessage: {
        seq: 5,
        type: 'system',
        text: null,
        system: { event: 'members_added', actorId: admin.id },
      },
    });
    expect(announced.lastMessage!.system!.userIds).toEqual([late.id]);
    const lateMark = await late.api.post(`/chats/${group.chatId}/read`, { seq: 0 });
    // A newcomer starts with everything before them read; the line about their arrival is theirs to read.
    expect(lateMark.body).toMatchObject({ lastReadSeq: 4, readAllSeq: 0 }); // the others have not read yet

    // Owner leaves: the admin becomes owner.
    expect((await owner.api.delete(`/groups/${group.id}/members/${owner.id}`)).status).toBe(204);
    const after = (await admin.api.get(`/groups/${group.id}`)).body;
    expect(after.members.find((m: { userId: string }) => m.userId === admin.id).role).toBe('owner');
    expect(after.members.find((m: { userId: string }) => m.userId === owner.id)).toBeUndefined();
  });

  it('authorization matrix: a non-member can do nothing with a chat and receives none of its events', async () => {
    const [alice, bob, eve] = await Promise.all(
      ['alice', 'bob', 'eve'].map((p) => registerUser(env.apiA, p)),
    );
    const chatId = (await alice.api.post('/chats/direct', { userId: bob.id })).body.id;
    const msg = await send(alice, chatId, 'private');
    const eveSocket = await connect(env.b, eve);
    const bobSocket = await connect(env.b, bob);

    expect((await eve.api.get(`/history/${chatId}`)).status).toBe(403);
    expect((await eve.api.get(`/chats/${chatId}`)).status).toBe(403);
    expect(
      (await eve.api.post(`/chats/${chatId}/messages`, { text: 'hi', clientMsgId: 'eve1' })).status,
    ).toBe(403);
    expect(
      await eveSocket.emitAck('message:send', { chatId, text: 'hi', clientMsgId: 'eve2' }),
    ).toMatchObject({ ok: false, error: { code: 'NOT_A_MEMBER' } });
    expect((await eve.api.post(`/chats/${chatId}/read`, { seq: 1 })).status).toBe(403);
    expect(await eveSocket.emitAck('message:read', { chatId, seq: 1 })).toMatchObject({
      ok: false,
      error: { code: 'NOT_A_MEMBER' },
    });
    expect(await eveSocket.emitAck('typing', { chatId, isTyping: true })).toMatchObject({
      ok: false,
      error: { code: 'NOT_A_MEMBER' },
    });
    expect((await eve.api.post(`/messages/${msg.id}/read`)).status).toBe(403);
    expect((await eve.api.patch(`/messages/${msg.id}`, { text: 'x' })).status).toBe(403);
    expect((await eve.api.delete(`/messages/${msg.id}`)).status).toBe(403);
    expect((await bob.api.patch(`/messages/${msg.id}`, { text: 'x' })).status).toBe(403);
    expect((await eve.api.get('/chats')).body).toEqual([]);

    await send(alice, chatId, 'still private');
    await alice.api.patch(`/messages/${msg.id}`, { text: 'edited' });
    await bobSocket.emitAck('message:read', { chatId, seq: 2 });
    await bobSocket.waitFor('message:updated');
    await settle();
    expect(eveSocket.events.filter((e) => e.event !== 'presence')).toEqual([]);
  });

  it('a removed member stops receiving at once and loses history; the membership cache is invalidated', async () => {
    const [owner, gone, stays] = await Promise.all(
      ['own', 'gone', 'stay'].map((p) => registerUser(env.apiA, p)),
    );
    const group = (await owner.api.post('/groups', { name: 'Cut', memberIds: [gone.id, stays.id] })).body;
    const goneSocket = await connect(env.b, gone);
    const staysSocket = await connect(env.a, stays);
    await send(owner, group.chatId, 'before');
    await goneSocket.waitFor('message:new');
    // Warm the membership cache on both instances.
    expect((await gone.api.get(`/history/${group.chatId}`)).status).toBe(200);
    expect((await env.apiB.as(gone.accessToken).get(`/history/${group.chatId}`)).status).toBe(200);

    expect((await owner.api.delete(`/groups/${group.id}/members/${gone.id}`)).status).toBe(204);
    expect(await goneSocket.waitFor('chat:removed')).toEqual({ chatId: group.chatId });
    await send(owner, group.chatId, 'after');
    await staysSocket.waitFor('message:new', (m) => m.text === 'after');
    await settle();
    expect(goneSocket.received('message:new').map((m) => m.text)).toEqual(['before']);
    for (const api of [env.apiA, env.apiB]) {
      expect((await api.as(gone.accessToken).get(`/history/${group.chatId}`)).status).toBe(403);
      expect(
        (
          await api
            .as(gone.accessToken)
            .post(`/chats/${group.chatId}/messages`, { text: 'x', clientMsgId: `g${api.baseUrl.length}` })
        ).status,
      ).toBe(403);
    }
    expect((await gone.api.get('/chats')).body.map((c: { id: string }) => c.id)).not.toContain(group.chatId);
  });

  it('sends that waited behind a removal for the chat lock are judged by the members after it', async () => {
    const [owner, gone, stays] = await Promise.all(
      ['own', 'gone', 'stay'].map((p) => registerUser(env.apiA, p)),
    );
    const group = (await owner.api.post('/groups', { name: 'Race', memberIds: [gone.id, stays.id] })).body;
    const goneSocket = await connect(env.b, gone);
    const staysSocket = await connect(env.a, stays);
    // What removeMember does, held open: the chat row locked, the member gone, not yet committed.
    const db = env.a.app.get(DataSource);
    const removal = db.createQueryRunner();
    await removal.connect();
    await removal.startTransaction();
    try {
      await removal.query(`SELECT 1 FROM chats WHERE id = $1 FOR UPDATE`, [group.chatId]);
      await removal.query(`DELETE FROM chat_members WHERE chat_id = $1 AND user_id = $2`, [
        group.chatId,
        gone.id,
      ]);
      // One send from the member being removed (instance B), one from the owner (instance A): both statements
      // start while the member is still in, and wait for the chat's lock.
      const goneSend = goneSocket.emitAck('message:send', {
        chatId: group.chatId,
        text: 'from the removed',
        clientMsgId: 'race-gone',
      });
      const ownerSend = owner.api.post(`/chats/${group.chatId}/messages`, {
        text: 'after the removal',
        clientMsgId: 'race-owner',
      });
      const waiting = async () =>
        (
          await db.query(
            `SELECT count(*)::int AS n FROM pg_stat_activity
              WHERE wait_event_type = 'Lock' AND query LIKE '%INSERT INTO send_fences%'`,
          )
        )[0].n as number;
      for (const deadline = Date.now() + 10_000; (await waiting()) < 2;) {
        if (Date.now() > deadline) throw new Error('the sends never waited for the lock');
        await new Promise((r) => setTimeout(r, 20));
      }
      await removal.commitTransaction();

      const refused = await goneSend;
      expect(refused).toMatchObject({ ok: false, error: { code: 'NOT_A_MEMBER' } });
      const sent = await ownerSend;
      expect(sent.status).toBe(201);
      await staysSocket.waitFor('message:new', (m) => m.text === 'after the removal');
      await settle();
      expect(goneSocket.received('message:new').map((m) => m.text)).toEqual([]);
      expect(
        await db.query(`SELECT text FROM messages WHERE chat_id = $1 AND sender_id = $2`, [
          group.chatId,
          gone.id,
        ]),
      ).toEqual([]);
    } finally {
      if (removal.isTransactionActive) await removal.rollbackTransaction();
      await removal.release();
    }
  });

  it('the membership cache cannot be re-filled with stale members by a reader that started before a change', async () => {
    const cache = env.a.app.get(VersionedCache);
    const key = `test-stale-fill:${Date.now()}`;
    let release!: (v: string[]) => void;
    let loading!: () => void;
    const started = new Promise<void>((r) => (loading = r));
    const slowRead = cache.getOrLoad(key, 60_000, () => {
      loading();
      return new Promise<string[]>((r) => (release = r));
    });
    await started;
    await cache.invalidate(key); // the writer commits and invalidates while the reader is still loading
    release(['stale']);
    expect(await slowRead).toEqual(['stale']);
    expect(await cache.getOrLoad(key, 60_000, async () => ['fresh'])).toEqual(['fresh']);
    expect(await cache.getOrLoad(key, 60_000, async () => ['not loaded again'])).toEqual(['fresh']);

    // And through the service: membership read on A, changed through B, seen at once on A.
    const [owner, joiner] = await Promise.all([
      registerUser(env.apiA, 'own'),
      registerUser(env.apiA, 'join'),
    ]);
    const group = (await owner.api.post('/groups', { name: 'Cache', memberIds: [] })).body;
    const membership = env.a.app.get(MembershipService);
    expect((await membership.members(group.chatId)).map((m) => m.userId)).toEqual([owner.id]);
    await env.apiB.as(owner.accessToken).post(`/groups/${group.id}/members`, { userIds: [joiner.id] });
    expect((await membership.members(group.chatId)).map((m) => m.userId).sort()).toEqual(
      [owner.id, joiner.id].sort(),
    );
    expect(
      (
        await env.a.app
          .get(DataSource)
          .query(`SELECT count(*)::int AS n FROM chat_members WHERE chat_id = $1`, [group.chatId])
      )[0].n,
    ).toBe(2);
  });
});
