import { createHash } from 'crypto';
import Redis from 'ioredis';
import { RunningApp, startApp } from './support/app';
import { FakeTelegram } from './support/fake-telegram';
import { Api, registerUser, TestUser } from './support/http';
import { connectSocket, eventually, settle, TestSocket } from './support/sockets';
import { WorkerProcess } from './support/worker';

const DELAY_MS = 1500;
let nextTelegramChat = 5000;

describe('Telegram: linking and offline notifications (real worker + Telegraf, fake Bot API)', () => {
  let fake: FakeTelegram;
  let app: RunningApp;
  let api: Api;
  let worker: WorkerProcess;
  let redis: Redis;
  let env: Record<string, string>;
  const sockets: TestSocket[] = [];

  const linkToken = async (user: TestUser) => {
    const res = await user.api.post('/telegram/link');
    expect(res.status).toBe(201);
    expect(res.body.url).toMatch(
      new RegExp(`^https://t\\.me/${fake.botUsername}\\?start=[A-Za-z0-9_-]{32}$`),
    );
    return new URL(res.body.url).searchParams.get('start')!;
  };
  const linked = async (user: TestUser, username = user.username) => {
    const chat = nextTelegramChat++;
    fake.injectText(chat, username, `/start ${await linkToken(user)}`);
    await fake.waitForSent(chat, (m) => m.text.startsWith('Linked!'));
    return chat;
  };
  const conversation = async () => {
    const alice = await registerUser(api, 'alice');
    const bob = await registerUser(api, 'bob');
    const chatId = (await bob.api.post('/chats/direct', { userId: alice.id })).body.id as string;
    return { alice, bob, chatId, aliceChat: await linked(alice) };
  };
  const send = (u: TestUser, chatId: string, text: string) =>
    u.api.post(`/chats/${chatId}/messages`, {
      text,
      clientMsgId: `${Date.now()}${Math.random().toString(36).slice(2)}`,
    });
  /** Long enough for a notification due now to have been processed. */
  const pastTheDelay = () => settle(DELAY_MS + 1500);

  beforeAll(async () => {
    fake = await FakeTelegram.start();
    env = {
      TELEGRAM_BOT_TOKEN: '123456:TEST-token',
      TELEGRAM_API_ROOT: fake.url,
      NOTIFY_DELAY_MS: String(DELAY_MS),
    };
    app = await startApp(env);
    api = new Api(app.url);
    worker = await WorkerProcess.start(env);
    await worker.waitForOutput('polling Telegram');
    redis = new Redis(process.env.TEST_REDIS_URL!);
  });
  afterEach(() => sockets.splice(0).forEach((s) => s.close()));
  afterAll(async () => {
    await worker?.stop();
    await app?.close();
    await fake?.stop();
    await redis?.quit();
  });

  it('links with /start <token>, tells the web client, and /stop unlinks', async () => {
    const alice = await registerUser(api, 'alice');
    expect((await alice.api.get('/telegram/link')).body).toEqual({ linked: false, available: true });
    const socket = await connectSocket(app.url, alice.accessToken);
    sockets.push(socket);
    const token = await linkToken(alice);

    fake.injectText(7001, 'alice_tg', `/start ${token}`);
    await fake.waitForSent(7001, (m) => m.text.startsWith('Linked!'));
    expect(await socket.waitFor('telegram:linked')).toEqual({ telegramUsername: 'alice_tg' });
    const status = (await alice.api.get('/telegram/link')).body;
    expect(status).toMatchObject({ linked: true, available: true, telegramUsername: 'alice_tg' });
    expect(Date.parse(status.linkedAt)).not.toBeNaN();

    fake.injectText(7001, 'alice_tg', '/stop');
    await fake.waitForSent(7001, (m) => m.text.startsWith('Unlinked'));
    expect((await alice.api.get('/telegram/link')).body).toEqual({ linked: false, available: true });
  });

  it('a newer link token revokes the older one; creating tokens is rate limited', async () => {
    const alice = await registerUser(api, 'alice');
    const older = await linkToken(alice);
    const newer = await linkToken(alice);
    // The old token must not re-link the account to whoever holds it.
    fake.injectText(7201, 'mallory', `/start ${older}`);
    expect((await fake.waitForSent(7201)).text).toMatch(/invalid, expired or already used/);
    expect((await alice.api.get('/telegram/link')).body).toEqual({ linked: false, available: true });
    fake.injectText(7202, 'alice_tg', `/start ${newer}`);
    await fake.waitForSent(7202, (m) => m.text.startsWith('Linked!'));
    expect((await alice.api.get('/telegram/link')).body.telegramUsername).toBe('alice_tg');

    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await alice.api.post('/telegram/link')).status);
    expect(statuses).toEqual([201, 201, 201, 429]); // 5 per minute, two spent above
    const limited = await alice.api.post('/telegram/link');
    expect(limited.body.code).toBe('RATE_LIMITED');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('a reused, expired or unknown token links nothing', async () => {
    const alice = await registerUser(api, 'alice');
    const bob = await registerUser(api, 'bob');
    const token = await linkToken(alice);
    fake.injectText(7101, 'alice_tg', `/start ${token}`);
    await fake.waitForSent(7101, (m) => m.text.startsWith('Linked!'));

    // Reused, from another Telegram chat: refused, and the first link stands.
    fake.injectText(7102, 'mallory', `/start ${token}`);
    expect((await fake.waitForSent(7102)).text).toMatch(/invalid, expired or already used/);
    expect((await alice.api.get('/telegram/link')).body.telegramUsername).toBe('alice_tg');

    // Expired: Redis lets the token's key lapse.
    const bobToken = await linkToken(bob);
    const bobKey = `telegram:link-token:${createHash('sha256').update(bobToken).digest('hex')}`;
    await redis.pexpire(bobKey, 1);
    await eventually(async () => (await redis.exists(bobKey)) === 0);
    fake.injectText(7103, 'bob_tg', `/start ${bobToken}`);
    expect((await fake.waitForSent(7103)).text).toMatch(/invalid, expired or already used/);
    expect((await bob.api.get('/telegram/link')).body).toEqual({ linked: false, available: true });

    fake.injectText(7104, 'who', '/start c29tZXRoaW5nLXRoYXQtd2FzLW5ldmVyLWlzc3Vl');
    expect((await fake.waitForSent(7104)).text).toMatch(/invalid, expired or already used/);
    expect(
      fake
        .sentTo(7102)
        .concat(fake.sentTo(7103), fake.sentTo(7104))
        .every((m) => !m.text.startsWith('Linked')),
    ).toBe(true);
  });

  it('an offline recipient gets exactly one notification for three quick messages, naming the sender', async () => {
    const { alice, bob, chatId, aliceChat } = await conversation();
    for (const text of ['first', 'second <b>third</b>?', 'third'])
      expect((await send(bob, chatId, text)).status).toBe(201);
    const note = await fake.waitForSent(aliceChat, (m) => m.text.includes('new messages'));
    expect(note.text.split('\n')[0]).toBe(`3 new messages from ${bob.username}`);
    expect(note.text).toContain('second <b>third</b>?');
    expect(note.text).toContain(`/?chat=${chatId}`);
    await pastTheDelay();
    expect(fake.sentTo(aliceChat).filter((m) => m.text.includes('new message'))).toHaveLength(1);
    // The sender is never notified about their own messages.
    expect((await alice.api.get('/telegram/link')).body.linked).toBe(true);
  });

  it('an online recipient gets none; an offline one who reads within the delay gets none', async () => {
    const online = await conversation();
    sockets.push(await connectSocket(app.url, online.alice.accessToken));
    await send(online.bob, online.chatId, 'you are online');

    const reader = await conversation();
    const sent = (await send(reader.bob, reader.chatId, 'read me quickly')).body;
    expect((await reader.alice.api.post(`/messages/${sent.id}/read`)).status).toBe(200);

    await pastTheDelay();
    expect(fake.sentTo(online.aliceChat).filter((m) => m.text.includes('new message'))).toEqual([]);
    expect(fake.sentTo(reader.aliceChat).filter((m) => m.text.includes('new message'))).toEqual([]);
  });

  it('a 429 with retry_after delays the notification but does not lose it; a 403 unlinks', async () => {
    const limited = await conversation();
    fake.failNext('sendMessage', 429, 'Too Many Requests: retry after 1', { retry_after: 1 });
    await send(limited.bob, limited.chatId, 'patience');
    const note = await fake.waitForSent(limited.aliceChat, (m) => m.text.includes('new message'), 15000);
    expect(note.text).toContain('patience');
    const attempts = fake.calls.filter(
      (c) => c.method === 'sendMessage' && Number(c.body.chat_id) === limited.aliceChat,
    );
    expect(attempts.length).toBe(3); // "Linked!", the refused one, the retried one
    await pastTheDelay();
    expect(fake.sentTo(limited.aliceChat).filter((m) => m.text.includes('new message'))).toHaveLength(1);

    const blocked = await conversation();
    fake.failNext('sendMessage', 403, 'Forbidden: bot was blocked by the user');
    await send(blocked.bob, blocked.chatId, 'anyone?');
    await eventually(async () => !(await blocked.alice.api.get('/telegram/link')).body.linked, 15000, 200);
    expect((await blocked.alice.api.get('/telegram/link')).body).toEqual({ linked: false, available: true });
  });

  it('killing the worker between enqueue and send still yields exactly one notification', async () => {
    const { bob, chatId, aliceChat } = await conversation();
    await send(bob, chatId, 'survive the crash');
    await worker.kill();
    await pastTheDelay();
    expect(fake.sentTo(aliceChat).filter((m) => m.text.includes('new message'))).toEqual([]);

    worker = await WorkerProcess.start(env);
    const note = await fake.waitForSent(aliceChat, (m) => m.text.includes('new message'), 15000);
    expect(note.text).toContain('survive the crash');
    await pastTheDelay();
    expect(fake.sentTo(aliceChat).filter((m) => m.text.includes('new message'))).toHaveLength(1);
  });
});

describe('Telegram off (no TELEGRAM_BOT_TOKEN)', () => {
  it('linking answers 503 and everything else works', async () => {
    const app = await startApp();
    try {
      const alice = await registerUser(new Api(app.url), 'alice');
      const res = await alice.api.post('/telegram/link');
      expect(res.status).toBe(503);
      expect(res.body.code).toBe('TELEGRAM_UNAVAILABLE');
      // Said up front, so a client need not offer what would fail.
      expect((await alice.api.get('/telegram/link')).body).toEqual({ linked: false, available: false });
      const saved = (await alice.api.post('/chats/direct', { userId: alice.id })).body.id;
      expect(
        (await alice.api.post(`/chats/${saved}/messages`, { text: 'fine', clientMsgId: 'off-1' })).status,
      ).toBe(201);
    } finally {
      await app.close();
    }
  });
});
