import Redis from 'ioredis';
import { twoInstances } from './support/app';
import { Api, registerUser, TestUser, uniqueName } from './support/http';
import { connectSocket, eventually, settle } from './support/sockets';

/** Logs the user in once more: a second session (another device) with its own tokens. */
async function secondSession(
  api: Api,
  user: TestUser,
): Promise<{ accessToken: string; refreshToken: string }> {
  const res = await api.post('/auth/login', {
    login: user.username,
    password: user.password,
    deviceName: 'tablet',
  });
  expect(res.status).toBe(200);
  return res.body;
}

describe('a session’s end reaches its sockets, on every instance', () => {
  const env = twoInstances();

  const expectEnded = async (socket: Awaited<ReturnType<typeof connectSocket>>, reason: string) => {
    const ended = socket.waitFor('session:ended');
    const gone = socket.disconnected();
    expect(await ended).toEqual({ reason });
    expect(await gone).toBe('io server disconnect');
  };

  it('logout on A ends the session’s socket on B; the token then connects nowhere', async () => {
    const alice = await registerUser(env.apiA, 'alice');
    const bob = await registerUser(env.apiA, 'bob');
    const chatId = (await bob.api.post('/chats/direct', { userId: alice.id })).body.id;
    const onB = await env.connect(env.b, alice);
    const otherSession = await secondSession(env.apiA, alice);
    const otherSocket = await env.connect(env.b, otherSession);

    expect((await alice.api.post('/auth/logout')).status).toBe(204);
    await expectEnded(onB, 'logout');
    await expect(connectSocket(env.a.url, alice.accessToken)).rejects.toThrow(/Unauthorized/);
    await expect(connectSocket(env.b.url, alice.accessToken)).rejects.toThrow(/Unauthorized/);

    // The other device's session is untouched and still receives.
    await bob.api.post(`/chats/${chatId}/messages`, { text: 'still there?', clientMsgId: 'after-logout' });
    expect((await otherSocket.waitFor('message:new')).text).toBe('still there?');
    expect(onB.received('message:new')).toEqual([]);
  });

  it('deleting a session from another device ends that session’s sockets only', async () => {
    const alice = await registerUser(env.apiA, 'alice');
    const tablet = await secondSession(env.apiA, alice);
    const tabletSocket = await env.connect(env.b, tablet);
    const phoneSocket = await env.connect(env.b, alice);
    const sessions = (await alice.api.get('/auth/sessions')).body as { id: string; current: boolean }[];
    const tabletSession = sessions.find((s) => !s.current)!;

    expect((await alice.api.delete(`/auth/sessions/${tabletSession.id}`)).status).toBe(204);
    await expectEnded(tabletSocket, 'revoked');
    expect(phoneSocket.connected).toBe(true);
    expect((await phoneSocket.emitAck('typing', { chatId: tabletSession.id, isTyping: true })).ok).toBe(
      false,
    );
    expect(phoneSocket.connected).toBe(true);
  });

  it('a reused refresh token revokes the session and ends its sockets', async () => {
    const alice = await registerUser(env.apiA, 'alice');
    const socket = await env.connect(env.b, alice);
    const rotated = await env.apiA.post('/auth/refresh', { refreshToken: alice.refreshToken });
    expect(rotated.status).toBe(200);
    const replay = await env.apiB.post('/auth/refresh', { refreshToken: alice.refreshToken });
    expect(replay.status).toBe(401);
    await expectEnded(socket, 'revoked');
    expect((await env.apiA.as(rotated.body.accessToken).get('/users/me')).status).toBe(401);
  });

  it('a socket whose session ended can neither send nor receive', async () => {
    const alice = await registerUser(env.apiA, 'alice');
    const bob = await registerUser(env.apiA, 'bob');
    const chatId = (await alice.api.post('/chats/direct', { userId: bob.id })).body.id;
    const socket = await env.connect(env.b, alice);
    await alice.api.post('/auth/logout');
    await socket.disconnected();
    await expect(
      socket.emitAck('message:send', { chatId, text: 'x', clientMsgId: 'late' }, 1000),
    ).rejects.toThrow();
    await bob.api.post(`/chats/${chatId}/messages`, { text: 'for alice', clientMsgId: 'nobody-hears' });
    await settle();
    expect(socket.received('message:new')).toEqual([]);
    expect((await bob.api.get(`/history/${chatId}`)).body.items.map((m: { text: string }) => m.text)).toEqual(
      ['for alice'],
    );
  });
});

describe('an expired access token ends its socket', () => {
  const env = twoInstances({ ACCESS_TOKEN_TTL: '2' });

  it('closes it at expiry with session:ended { reason: "expired" }; a refreshed token reconnects', async () => {
    const alice = await registerUser(env.apiA, 'alice');
    const socket = await env.connect(env.b, alice);
    const ended = await socket.waitFor('session:ended', () => true, 6000);
    expect(ended).toEqual({ reason: 'expired' });
    await socket.disconnected();
    const fresh = (await env.apiA.post('/auth/refresh', { refreshToken: alice.refreshToken })).body;
    const again = await env.connect(env.b, fresh);
    expect(again.connected).toBe(true);
  });
});

describe('one canonical id', () => {
  const env = twoInstances();

  it('an upper-cased id is the same chat everywhere: one direct chat, history refused after removal', async () => {
    const [owner, gone, friend] = await Promise.all(
      ['own', 'gone', 'fr'].map((p) => registerUser(env.apiA, p)),
    );
    const direct = await owner.api.post('/chats/direct', { userId: friend.id });
    expect(direct.status).toBe(201);
    const again = await owner.api.post('/chats/direct', { userId: friend.id.toUpperCase() });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(direct.body.id);
    expect((await friend.api.post('/chats/direct', { userId: owner.id.toUpperCase() })).body.id).toBe(
      direct.body.id,
    );

    const group = (await owner.api.post('/groups', { name: 'Case', memberIds: [gone.id.toUpperCase()] }))
      .body;
    expect(group.members.map((m: { userId: string }) => m.userId)).toContain(gone.id);
    const upper = group.chatId.toUpperCase();
    // Warm the membership cache through both spellings on both instances.
    for (const api of [env.apiA, env.apiB]) {
      expect((await api.as(gone.accessToken).get(`/history/${group.chatId}`)).status).toBe(200);
      expect((await api.as(gone.accessToken).get(`/history/${upper}`)).status).toBe(200);
    }
    const socket = await env.connect(env.a, gone);
    const sent = await socket.emitAck('message:send', { chatId: upper, text: 'hi', clientMsgId: 'upper-1' });
    expect(sent).toMatchObject({ ok: true, data: { chatId: group.chatId, seq: 2 } }); // 1: the group's creation

    expect(
      (await owner.api.delete(`/groups/${group.id.toUpperCase()}/members/${gone.id.toUpperCase()}`)).status,
    ).toBe(204);
    for (const api of [env.apiA, env.apiB]) {
      expect((await api.as(gone.accessToken).get(`/history/${upper}`)).status).toBe(403);
      expect((await api.as(gone.accessToken).get(`/history/${group.chatId}`)).status).toBe(403);
    }
    expect(
      (await socket.emitAck('message:send', { chatId: upper, text: 'x', clientMsgId: 'upper-2' })).error.code,
    ).toBe('NOT_A_MEMBER');
  });

  it('ids that do not exist leave nothing in the cache', async () => {
    const user = await registerUser(env.apiA, 'prober');
    const redis = new Redis(process.env.TEST_REDIS_URL!);
    try {
      const count = async () => (await redis.keys('cache:chat-members:*')).length;
      const before = await count();
      for (let i = 0; i < 50; i++) {
        const id = crypto.randomUUID();
        expect((await user.api.get(`/history/${i % 2 ? id : id.toUpperCase()}`)).status).toBe(404);
      }
      expect(await count()).toBe(before);
    } finally {
      await redis.quit();
    }
  });
});

describe('login limits that protect, not lock out', () => {
  const env = twoInstances({
    THROTTLE_LOGIN_FAILURES_PER_ACCOUNT_IP: '3',
    THROTTLE_LOGIN_FAILURES_PER_ACCOUNT: '6',
  });

  it('a stranger burning the budget from one address cannot lock the owner out from another', async () => {
    const alice = await registerUser(env.apiA, 'alice');
    const attacker = new Api(env.a.url).fromAddress('127.0.0.31');
    const guess = (api: Api, login: string) => api.post('/auth/login', { login, password: 'wrong-guess-99' });
    // One budget per login name as typed (case aside): a locked username says nothing about which email is
    // the same account's, and an unknown name is counted the same way.
    const statuses = [];
    for (const login of [alice.username, alice.username.toUpperCase(), ` ${alice.username}`, alice.username])
      statuses.push((await guess(attacker, login)).status);
    expect(statuses).toEqual([401, 401, 401, 429]);
    const ghost = 'ghost-nobody';
    const probes = [];
    for (const login of [alice.email, `${ghost}@example.com`])
      probes.push((await guess(attacker, login)).status);
    for (let i = 0; i < 3; i++) probes.push((await guess(attacker, ghost)).status);
    expect(probes).toEqual([401, 401, 401, 401, 401]); // the email of a locked account reads like any other
    expect((await guess(attacker, ghost)).status).toBe(429); // and an unknown name locks like a real one
    expect(
      (await attacker.post('/auth/login', { login: alice.username, password: alice.password })).status,
    ).toBe(429);

    const owner = new Api(env.b.url).fromAddress('127.0.0.32');
    const ok = await owner.post('/auth/login', { login: alice.email, password: alice.password });
    expect(ok.status).toBe(200);
  });

  it('many addresses together meet the per-account ceiling', async () => {
    const bob = await registerUser(env.apiA, 'bob');
    const statuses = [];
    for (let i = 0; i < 7; i++) {
      const from = new Api(i % 2 ? env.a.url : env.b.url).fromAddress(`127.0.0.${40 + i}`);
      statuses.push(
        (await from.post('/auth/login', { login: bob.username, password: 'wrong-guess-99' })).status,
      );
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 401, 429]);
  });

  it('a good login gives its address a fresh budget', async () => {
    const carol = await registerUser(env.apiA, 'carol');
    const api = new Api(env.a.url).fromAddress('127.0.0.50');
    const login = (password: string) => api.post('/auth/login', { login: carol.username, password });
    expect([(await login('nope-nope-1')).status, (await login('nope-nope-1')).status]).toEqual([401, 401]);
    expect((await login(carol.password)).status).toBe(200);
    // Without the fresh start these two would be failures 3 and 4 from this address (limit 3).
    expect([(await login('nope-nope-1')).status, (await login('nope-nope-1')).status]).toEqual([401, 401]);
    expect((await login(carol.password)).status).toBe(200);
  });
});

describe('privacy by default', () => {
  const env = twoInstances();

  it('email only for yourself; online and lastSeenAt only for people who share a chat with you', async () => {
    const [alice, bob, stranger] = await Promise.all(
      ['alice', 'bob', 'str'].map((p) => registerUser(env.apiA, p)),
    );
    await alice.api.post('/chats/direct', { userId: bob.id });
    const bobSocket = await env.connect(env.b, bob);

    const me = (await bob.api.get('/users/me')).body;
    expect(me).toMatchObject({ email: bob.email, online: true, groupInvites: 'everyone' });
    const asContact = (await alice.api.get(`/users/${bob.id}`)).body;
    expect(asContact).toMatchObject({ online: true });
    expect(asContact).not.toHaveProperty('email');
    const asStranger = (await stranger.api.get(`/users/${bob.id}`)).body;
    expect(asStranger).toMatchObject({ id: bob.id, online: null, lastSeenAt: null });
    expect(asStranger).not.toHaveProperty('email');
    expect(asStranger).not.toHaveProperty('groupInvites');

    const found = (await stranger.api.get(`/users?search=${bob.username}`)).body.items;
    expect(found).toEqual([expect.objectContaining({ id: bob.id, online: null, lastSeenAt: null })]);
    expect(JSON.stringify(found)).not.toContain(bob.email);
    // Search finds people by display name too.
    await bob.api.patch('/users/me', { displayName: 'Robert Tables' });
    expect(
      (await stranger.api.get('/users?search=robert%20tab')).body.items.map((u: { id: string }) => u.id),
    ).toContain(bob.id);

    bobSocket.close();
    const seen = await eventually(async () => (await alice.api.get(`/users/${bob.id}`)).body.lastSeenAt);
    expect(typeof seen).toBe('string');
    expect((await stranger.api.get(`/users/${bob.id}`)).body.lastSeenAt).toBeNull();
  });

  it('PATCH /users/me changes the display name and who may add you to groups', async () => {
    const u = await registerUser(env.apiA, 'pat');
    const res = await u.api.patch('/users/me', { displayName: '  Pat  ', groupInvites: 'contacts' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ displayName: 'Pat', groupInvites: 'contacts', email: u.email });
    expect((await env.apiB.as(u.accessToken).get('/users/me')).body).toMatchObject({ displayName: 'Pat' });
    // One field alone changes only that one; an empty body changes nothing (and is no error).
    expect((await u.api.patch('/users/me', { groupInvites: 'everyone' })).body).toMatchObject({
      displayName: 'Pat',
      groupInvites: 'everyone',
    });
    const empty = await u.api.patch('/users/me', {});
    expect({ status: empty.status, body: empty.body }).toMatchObject({
      status: 200,
      body: { displayName: 'Pat', groupInvites: 'everyone' },
    });
    for (const bad of [
      { groupInvites: 'nobody' },
      { displayName: '' },
      { displayName: 'Ad\u202emin' },
      { email: 'x@y.z' },
    ]) {
      const r = await u.api.patch('/users/me', bad);
      expect(r.status).toBe(400);
      expect(r.body.details[0].field).toBe(Object.keys(bad)[0]);
    }
  });

  it('a user who allows only contacts cannot be added to a group by a stranger; a contact can add them', async () => {
    const [shy, stranger, friend] = await Promise.all(
      ['shy', 'str', 'fr'].map((p) => registerUser(env.apiA, p)),
    );
    await shy.api.patch('/users/me', { displayName: 'Shy Person', groupInvites: 'contacts' });
    await friend.api.post('/chats/direct', { userId: shy.id });

    const refused = await stranger.api.post('/groups', { name: 'Spam', memberIds: [shy.id] });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 'GROUP_INVITE_FORBIDDEN', details: { userIds: [shy.id] } });
    expect(refused.body.message).toContain('Shy Person');
    const group = (await stranger.api.post('/groups', { name: 'Later', memberIds: [friend.id] })).body;
    const add = await stranger.api.post(`/groups/${group.id}/members`, { userIds: [shy.id] });
    expect(add.status).toBe(403);
    expect((await shy.api.get('/chats')).body.filter((c: { type: string }) => c.type === 'group')).toEqual(
      [],
    );

    const ok = await friend.api.post('/groups', { name: 'Friends', memberIds: [shy.id] });
    expect(ok.status).toBe(201);
  });
});

describe('bounded fan-out', () => {
  const env = twoInstances({ GROUP_MAX_MEMBERS: '120' });

  it('at most 100 ids per request, and GROUP_MAX_MEMBERS per group (409 GROUP_FULL)', async () => {
    const owner = await registerUser(env.apiA, 'own');
    const tooMany = Array.from({ length: 101 }, () => crypto.randomUUID());
    const res = await owner.api.post('/groups', { name: 'Huge', memberIds: tooMany });
    expect(res.status).toBe(400);
    expect(res.body.details[0].field).toBe('memberIds');

    const people: TestUser[] = [];
    for (let i = 0; i < 120; i += 20)
      people.push(...(await Promise.all(Array.from({ length: 20 }, () => registerUser(env.apiA, 'm')))));
    const first = people.slice(0, 100).map((p) => p.id);
    const group = await owner.api.post('/groups', { name: 'Big', memberIds: first });
    expect(group.status).toBe(201);
    // 101 members: the group object carries the count, not the list.
    expect(group.body.memberCount).toBe(101);
    expect(group.body).not.toHaveProperty('members');

    const late = await env.connect(env.b, people[105]);
    const added = await owner.api.post(`/groups/${group.body.id}/members`, { userIds: [people[105].id] });
    expect(added.status).toBe(200);
    const chat = await late.waitFor('chat:new');
    expect(chat).toMatchObject({ id: group.body.chatId, memberCount: 102 });
    expect(chat).not.toHaveProperty('members');

    const page = await people[105].api.get(`/groups/${group.body.id}/members?limit=50&offset=100`);
    expect(page.status).toBe(200);
    expect(page.body.total).toBe(102);
    // Longest-standing first: the late joiner is last; the pages together are every member once.
    expect(page.body.items.map((m: { userId: string }) => m.userId)[1]).toBe(people[105].id);
    const pages = await Promise.all(
      [0, 50, 100].map(
        async (offset) =>
          (await people[105].api.get(`/groups/${group.body.id}/members?limit=50&offset=${offset}`)).body
            .items,
      ),
    );
    const everyone = pages.flat().map((m: { userId: string }) => m.userId);
    expect(new Set(everyone)).toEqual(new Set([owner.id, ...first, people[105].id]));
    expect(everyone).toHaveLength(102);
    const outsider = await registerUser(env.apiA, 'out');
    expect((await outsider.api.get(`/groups/${group.body.id}/members`)).status).toBe(403);

    const over = await owner.api.post(`/groups/${group.body.id}/members`, {
      userIds: people.slice(100, 120).map((p) => p.id),
    });
    expect(over.status).toBe(409);
    expect(over.body).toMatchObject({ code: 'GROUP_FULL', details: { max: 120 } });
  });
});

describe('bad input is a 400 naming the field, never a 500', () => {
  const env = twoInstances();

  it('NUL bytes, out-of-range numbers, deep JSON and disguised names', async () => {
    const u = await registerUser(env.apiA, 'bad');
    const chatId = (await u.api.post('/chats/direct', { userId: u.id })).body.id;
    const msg = (await u.api.post(`/chats/${chatId}/messages`, { text: 'ok', clientMsgId: 'ok-1' })).body;
    const deep = '['.repeat(5000) + ']'.repeat(5000);
    const cases: [string, Promise<{ status: number; body: any }>, string][] = [
      ['message', u.api.post(`/chats/${chatId}/messages`, { text: 'a\u0000b', clientMsgId: 'n1' }), 'text'],
      ['edit', u.api.patch(`/messages/${msg.id}`, { text: '\u0000' }), 'text'],
      ['group name', u.api.post('/groups', { name: 'x\u0000', memberIds: [] }), 'name'],
      ['display name', u.api.patch('/users/me', { displayName: 'a\u0000' }), 'displayName'],
      ['login', env.apiA.post('/auth/login', { login: 'a\u0000b', password: 'whatever-12' }), 'login'],
      ['search', u.api.get('/users?search=a%00b'), 'search'],
      ['offset', u.api.get(`/history/${chatId}?offset=99999999999999999999`), 'offset'],
      ['afterSeq', u.api.get(`/history/${chatId}?afterSeq=2147483648`), 'afterSeq'],
      ['users offset', u.api.get('/users?offset=2147483648'), 'offset'],
      // Decimal digits only: Number() would read these as 16, 100 and 1.
      ['hex offset', u.api.get(`/history/${chatId}?offset=0x10`), 'offset'],
      ['exponent limit', u.api.get(`/history/${chatId}?limit=1e2`), 'limit'],
      ['spaced limit', u.api.get('/users?limit=%201'), 'limit'],
      ['read seq', u.api.post(`/chats/${chatId}/read`, { seq: 2 ** 31 }), 'seq'],
      ['deep JSON', u.api.post(`/chats/${chatId}/messages`, `{"text":${deep},"clientMsgId":"d"}`), 'text'],
      ['deep array', u.api.post('/groups', `{"name":"x","memberIds":${deep}}`), 'memberIds'],
      ['bidi override', u.api.patch('/users/me', { displayName: 'gnp.\u202eexe' }), 'displayName'],
      ['zero-width', u.api.post('/groups', { name: 'Te\u200bam', memberIds: [] }), 'name'],
      // Keys every object inherits: a whitelist that looks them up on an object would find them.
      [
        '__proto__',
        u.api.post(`/chats/${chatId}/messages`, '{"text":"x","clientMsgId":"p1","__proto__":{"a":1}}'),
        'body',
      ],
      [
        'constructor',
        u.api.post(`/chats/${chatId}/messages`, { text: 'x', clientMsgId: 'p2', constructor: 1 }),
        'body',
      ],
      ['toString', u.api.patch('/users/me', { displayName: 'x', toString: 'y' }), 'body'],
      ['nested', u.api.post('/groups', '{"name":"x","memberIds":[],"a":{"hasOwnProperty":1}}'), 'a'],
    ];
    for (const [label, request, field] of cases) {
      const res = await request;
      expect({ label, status: res.status, code: res.body.code }).toEqual({
        label,
        status: 400,
        code: 'VALIDATION_FAILED',
      });
      expect({ label, field: res.body.details[0].field.split(/[.[]/)[0] }).toEqual({ label, field });
    }
    const socket = await env.connect(env.a, u);
    let nested: unknown = 'x';
    for (let i = 0; i < 40; i++) nested = [nested];
    for (const payload of [
      { chatId, text: 'a\u0000', clientMsgId: 's1' },
      { chatId, text: nested, clientMsgId: 's2' },
      JSON.parse(`{"chatId":"${chatId}","text":"x","clientMsgId":"s3","__proto__":{"a":1}}`),
      { chatId, text: 'x', clientMsgId: 's4', toString: 'y' },
      { chatId, text: 'x', clientMsgId: 's5', constructor: 1 },
    ]) {
      const ack = await socket.emitAck('message:send', payload);
      expect(ack).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
    }
    // Extra arguments: the ack is the last one, whatever comes before it; the event is still answered.
    const extra = await (socket.raw.timeout(5000) as any).emitWithAck(
      'message:send',
      { chatId, text: 'extra', clientMsgId: 's6' },
      'unexpected',
    );
    expect(extra).toMatchObject({ ok: true, data: { text: 'extra', seq: 2 } });
    expect((await env.apiA.get('/health')).status).toBe(200);
    expect((await u.api.get(`/history/${chatId}`)).body.items).toHaveLength(2);
  });
});

describe('limits on the cheap floods', () => {
  const env = twoInstances();

  it('putting people into groups is limited per user: the 31st call in a minute is a 429 with Retry-After', async () => {
    const [spammer, victim] = await Promise.all(['spam', 'vic'].map((p) => registerUser(env.apiA, p)));
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++)
      statuses.push(
        (await spammer.api.post('/groups', { name: `Spam ${i}`, memberIds: [victim.id] })).status,
      );
    expect(statuses.every((s) => s === 201)).toBe(true);
    const over = await env.apiB
      .as(spammer.accessToken)
      .post('/groups', { name: 'Spam 31', memberIds: [victim.id] });
    expect(over.status).toBe(429);
    expect(over.body.code).toBe('RATE_LIMITED');
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0);
    // A group of one's own is not an invitation: still allowed.
    expect((await spammer.api.post('/groups', { name: 'Mine', memberIds: [] })).status).toBe(201);
    expect(
      (await victim.api.get('/chats')).body.filter((c: { type: string }) => c.type === 'group'),
    ).toHaveLength(30);
  });

  it('only a call that puts someone into a group counts: refused calls and ones naming members do not', async () => {
    const [owner, member, outsider] = await Promise.all(
      ['own', 'mem', 'out'].map((p) => registerUser(env.apiA, p)),
    );
    const group = (await owner.api.post('/groups', { name: 'Invites', memberIds: [member.id] })).body;
    const refused: number[] = [];
    const again: number[] = [];
    for (let i = 0; i < 31; i++) {
      refused.push(
        (await member.api.post(`/groups/${group.id}/members`, { userIds: [outsider.id] })).status,
      );
      again.push((await owner.api.post(`/groups/${group.id}/members`, { userIds: [member.id] })).status);
    }
    expect([...new Set(refused)]).toEqual([403]); // a member may not add people, however often asked
    expect([...new Set(again)]).toEqual([200]); // already in: nothing changes, nothing is spent
    // The owner's budget is still there for a real addition.
    expect(
      (await owner.api.post(`/groups/${group.id}/members`, { userIds: [outsider.id] })).status,
    ).toBe(200);
  });

  it('typing alternating true/false is throttled per socket and chat', async () => {
    const alice = await registerUser(env.apiA, 'alice');
    const bob = await registerUser(env.apiA, 'bob');
    const chatId = (await alice.api.post('/chats/direct', { userId: bob.id })).body.id;
    const typist = await env.connect(env.a, alice);
    const watcher = await env.connect(env.b, bob);
    const acks = [];
    for (let i = 0; i < 300; i++) acks.push(typist.emitAck('typing', { chatId, isTyping: i % 2 === 0 }));
    const relayed = (await Promise.all(acks)).filter((a) => a.data?.relayed).length;
    await settle();
    expect(relayed).toBeLessThanOrEqual(4);
    expect(watcher.received('typing').length).toBe(relayed);
  });

  it('the 21st socket of a user closes the oldest, on whichever instance it is', async () => {
    const user = await registerUser(env.apiA, 'many');
    const sockets = [];
    for (let i = 0; i < 20; i++) sockets.push(await env.connect(i % 2 ? env.a : env.b, user));
    await settle(200);
    expect(sockets.every((s) => s.connected)).toBe(true);
    const oldestGone = sockets[0].disconnected();
    const newest = await env.connect(env.a, user);
    expect(await oldestGone).toBe('io server disconnect');
    expect(newest.connected).toBe(true);
    await settle(200);
    expect(sockets.slice(1).every((s) => s.connected)).toBe(true);
  });
});

describe('browser hardening', () => {
  const env = twoInstances();

  it('security headers on the client, the API and the docs', async () => {
    for (const path of ['/', '/js/main.js', '/api/health', '/api/users/me', '/docs', '/docs-json']) {
      const res = await fetch(`${env.a.url}${path}`);
      const csp = res.headers.get('content-security-policy') ?? '';
      expect({ path, csp: /frame-ancestors 'none'/.test(csp) && /script-src 'self'(;|$)/.test(csp) }).toEqual(
        {
          path,
          csp: true,
        },
      );
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('x-powered-by')).toBeNull();
    }
    const client = (await fetch(`${env.a.url}/`)).headers.get('content-security-policy')!;
    expect(client).not.toContain('unsafe-inline');
    expect(client).not.toContain('unsafe-eval');
  });

  it('the web client’s refresh token lives in an HttpOnly, Secure, SameSite=Strict cookie on /api/auth', async () => {
    const username = uniqueName('ck');
    const cookieMode = { 'x-refresh-cookie': '1' };
    const reg = await env.apiA.post(
      '/auth/register',
      { email: `${username}@example.com`, username, password: 'cookie-monster-9' },
      cookieMode,
    );
    expect(reg.status).toBe(201);
    expect(reg.body).not.toHaveProperty('refreshToken');
    expect(reg.body.accessToken).toEqual(expect.any(String));
    const setCookie = reg.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/^refresh_token=[^;]+;/);
    for (const attr of ['HttpOnly', 'Secure', 'SameSite=Strict', 'Path=/api/auth'])
      expect(setCookie).toContain(attr);
    const cookie = setCookie.split(';')[0];

    const refreshed = await env.apiB.post('/auth/refresh', {}, { ...cookieMode, cookie });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body).not.toHaveProperty('refreshToken');
    const next = refreshed.headers.get('set-cookie')!.split(';')[0];
    expect(next).not.toBe(cookie);
    // The old cookie is spent: presenting it again is reuse, which ends the session.
    expect((await env.apiA.post('/auth/refresh', {}, { ...cookieMode, cookie })).status).toBe(401);
    expect((await env.apiA.post('/auth/refresh', {}, { ...cookieMode, cookie: next })).status).toBe(401);

    // Logout clears the cookie.
    const login = await env.apiA.post(
      '/auth/login',
      { login: username, password: 'cookie-monster-9' },
      cookieMode,
    );
    const out = await env.apiA.as(login.body.accessToken).post('/auth/logout');
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/^refresh_token=;.*Expires=Thu, 01 Jan 1970/);
    // Without the header, the JSON body flow is unchanged.
    const plain = await env.apiA.post('/auth/login', { login: username, password: 'cookie-monster-9' });
    expect(plain.body.refreshToken).toEqual(expect.any(String));
    expect(plain.headers.get('set-cookie')).toBeNull();
  });
});

describe('Swagger can be turned off', () => {
  const env = twoInstances({ DOCS_ENABLED: 'false' });
  it('DOCS_ENABLED=false: no /docs, no /docs-json', async () => {
    expect((await fetch(`${env.a.url}/docs`)).status).toBe(404);
    expect((await fetch(`${env.a.url}/docs-json`)).status).toBe(404);
    expect((await fetch(`${env.a.url}/api/health`)).status).toBe(200);
  });
});

describe('passwords', () => {
  const env = twoInstances();
  it('at least 10 characters, at most 72 bytes, not the username or email, not a common one', async () => {
    const username = uniqueName('pw');
    const register = (password: string) =>
      env.apiA.post('/auth/register', { email: `${username}@example.com`, username, password });
    for (const [password, words] of [
      ['short-pw', /at least 10 characters/],
      ['1234567890', /most common/],
      [username, /same as your username/],
      [`${username}@example.com`, /same as your username or email/],
      ['é'.repeat(40), /at most 72 bytes/],
    ] as const) {
      const res = await register(password);
      expect(res.status).toBe(400);
      expect(res.body.details).toEqual([{ field: 'password', errors: [expect.stringMatching(words)] }]);
    }
    expect((await register('a perfectly fine passphrase')).status).toBe(201);
  });
});
