import { join } from 'path';
import { Browser, Page } from 'playwright-core';
import { RunningApp, startApp, testEnv } from './support/app';
import {
  apiUser,
  chatIdOf,
  expectText,
  goOffline,
  goOnline,
  historyTexts,
  loginInUi,
  message,
  newPage,
  openChatTitled,
  PageProxy,
  screenshot,
  send,
  statusOf,
  waitForHidden,
  waitUntil,
  waitUntilStored,
  useBrowserSuite,
} from './support/browser';
import { CuttableProxy } from './support/cuttable-proxy';
import { Api, registerUser, TestUser } from './support/http';
import { freePort, Proc, waitForHttp } from './support/processes';

const ENTRY = join(__dirname, '..', 'dist', 'main.js');

/**
 * The page reaches the API through a relay the test can cut: a real loss of the network (every request and
 * the socket fail), plus the browser's own offline state where a test wants the `offline` event too.
 */
describe('web client in real Chromium: offline and reconnecting', () => {
  let app: RunningApp;
  let browser: Browser;
  const pages: Page[] = [];
  const proxies: PageProxy[] = [];

  const people = async () => {
    const api = new Api(app.url);
    const [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map((p) => registerUser(api, p)));
    const withBob = (await alice.api.post('/chats/direct', { userId: bob.id })).body.id as string;
    const withCarol = (await alice.api.post('/chats/direct', { userId: carol.id })).body.id as string;
    await bob.api.post(`/chats/${withBob}/messages`, { text: 'hi alice', clientMsgId: 'bob-1' });
    await carol.api.post(`/chats/${withCarol}/messages`, { text: 'carol was here', clientMsgId: 'carol-1' });
    return { alice, bob, carol, withBob, withCarol };
  };
  const openAs = async (user: TestUser, viaProxy: boolean) => {
    const proxy = viaProxy ? await PageProxy.to(app.url) : null;
    if (proxy) proxies.push(proxy);
    const page = await newPage(browser, proxy ? proxy.url : app.url);
    pages.push(page);
    await loginInUi(page, user.username, user.password);
    return { page, proxy: proxy! };
  };

  useBrowserSuite({
    pages,
    started: ([started], chromium) => ((app = started), (browser = chromium)),
    afterEach: async () => void (await Promise.all(proxies.splice(0).map((p) => p.close()))),
  });

  it('shows the connection state: "Offline — messages will be sent when you are back", presence unknown', async () => {
    const { alice, bob } = await people();
    const { page, proxy } = await openAs(alice, true);
    const bobPage = (await openAs(bob, false)).page;
    await openChatTitled(page, bob.username);
    await expectText(page, '#chat-status', 'online');
    await waitForHidden(page, '#banner');
    expect(bobPage).toBeTruthy();

    // Only the network goes (the browser still believes it is online): the failed reconnects tell.
    await proxy.cut();
    await expectText(page, '#banner', 'Offline — messages will be sent when you are back');
    await expectText(page, '#chat-status', /waiting for network…|connecting…/);
    expect(await page.locator('#chat-list .avatar.online').count()).toBe(0);
    await screenshot(page, 'offline-desktop');

    await proxy.open();
    await waitForHidden(page, '#banner');
    await expectText(page, '#chat-status', 'online');
  });

  it('switching chats while offline never sends into the wrong chat; drafts stay with their chat', async () => {
    const { alice, bob, carol, withBob, withCarol } = await people();
    const { page, proxy } = await openAs(alice, true);
    const bobPage = (await openAs(bob, false)).page;
    const savedId = await chatIdOf(page, 'Saved messages');
    await openChatTitled(page, bob.username);
    await message(page, 'hi alice').waitFor();
    await openChatTitled(bobPage, alice.username);

    await goOffline(page, proxy);
    await expectText(page, '#banner', 'Offline — messages will be sent when you are back');

    // The pane follows every click at once, and the composer sends to the chat it shows.
    await openChatTitled(page, 'Saved messages');
    await send(page, 'note to self');
    await message(page, 'note to self').waitFor();
    await openChatTitled(page, bob.username);
    expect(await message(page, 'note to self').count()).toBe(0);
    await send(page, 'for bob');
    await page.fill('#message-input', 'a draft for bob');
    await openChatTitled(page, 'Saved messages');
    expect(await page.inputValue('#message-input')).toBe('');
    await expectText(page, `#chat-list [data-chat-id="${withBob}"] .preview`, 'Draft: a draft for bob');
    await page.press('#message-input', 'Enter'); // empty: sends nothing
    // A chat whose history was never loaded: it says so, and still takes a message.
    await openChatTitled(page, carol.username);
    await expectText(page, '#messages .list-note', 'Messages will appear when you are back online.');
    await send(page, 'for carol');
    await message(page, 'for carol').waitFor();
    expect(await message(page, 'for carol').locator('[data-testid=status]').getAttribute('data-status')).toBe(
      'pending',
    );
    // Meanwhile Bob writes twice; Alice gets both when she is back, in order and without gaps.
    await send(bobPage, 'while you were away 1');
    await send(bobPage, 'while you were away 2');
    await openChatTitled(page, bob.username);
    expect(await page.inputValue('#message-input')).toBe('a draft for bob');
    await openChatTitled(page, carol.username);

    // Back online with Carol's chat open: its history arrives, the message goes, what is shown gets read.
    await goOnline(page, proxy);
    await waitForHidden(page, '#banner');
    await message(page, 'carol was here').waitFor();
    await waitUntilStored(message(page, 'for carol').locator('[data-testid=status]'));
    await waitUntil(
      'unread badge of the chat with Carol',
      () => page.locator(`#chat-list [data-chat-id="${withCarol}"] [data-testid=unread]`).count(),
      (n) => n === 0,
    );
    await message(bobPage, 'for bob').waitFor();
    await openChatTitled(page, bob.username);
    await message(page, 'while you were away 2').waitFor();
    const seqs = await page
      .locator('#messages [data-testid=message][data-seq]')
      .evaluateAll((els) => els.map((el) => Number((el as any).dataset.seq)));
    expect(seqs).toEqual(seqs.map((_, i) => seqs[0] + i));

    // What the server stored, chat by chat: each message where it was typed, once.
    await waitUntil(
      'server history',
      () => historyTexts(alice, savedId),
      (t) => t.length === 1,
    );
    expect(await historyTexts(alice, savedId)).toEqual(['note to self']);
    expect(await historyTexts(alice, withBob)).toEqual([
      'hi alice',
      'while you were away 1',
      'while you were away 2',
      'for bob',
    ]);
    expect(await historyTexts(alice, withCarol)).toEqual(['carol was here', 'for carol']);
    expect(await message(bobPage, 'note to self').count()).toBe(0);
    // Read marks made offline went out too, and the chat list caught up: newest first, with its preview.
    await waitUntil(
      'unread badge of the chat with Bob',
      () => page.locator(`#chat-list [data-chat-id="${withBob}"] [data-testid=unread]`).count(),
      (n) => n === 0,
    );
    await expectText(page, '#chat-list [data-testid=chat-item]:first-child .preview', 'You: for carol');
  });

  it('an access token that expires is refreshed quietly: messages keep flowing, a reload stays signed in', async () => {
    const short = await startApp({ ACCESS_TOKEN_TTL: '2s' });
    try {
      const api = new Api(short.url);
      const [alice, bob] = await Promise.all([registerUser(api, 'alice'), registerUser(api, 'bob')]);
      const chatId = (await alice.api.post('/chats/direct', { userId: bob.id })).body.id as string;
      const page = await newPage(browser, short.url);
      pages.push(page);
      await loginInUi(page, alice.username, alice.password);
      await page.click(`#chat-list [data-chat-id="${chatId}"]`);
      // The condition here is time itself: the access token must be past its expiry.
      await new Promise((r) => setTimeout(r, 2500));
      await send(page, 'after expiry');
      // Bob's token lives 2 s as well: he logs in again each time he acts.
      const bobNow = async () => {
        const login = await api.post('/auth/login', { login: bob.username, password: bob.password });
        return { api: api.as(login.body.accessToken as string) };
      };
      await waitUntil(
        'stored',
        async () => historyTexts(await bobNow(), chatId),
        (t) => t.includes('after expiry'),
      );
      await page.reload();
      await page.waitForSelector('#app:not([hidden])');
      await page.click(`#chat-list [data-chat-id="${chatId}"]`);
      await message(page, 'after expiry').waitFor();
      const posted = await (
        await bobNow()
      ).api.post(`/chats/${chatId}/messages`, {
        text: 'still hearing you',
        clientMsgId: 'b-live',
      });
      expect(posted.status).toBe(201);
      await message(page, 'still hearing you').waitFor();
      expect(await page.isVisible('#auth')).toBe(false);
    } finally {
      await short.close();
    }
  });

  it('the database away: the session is kept, a reload does not log out, the message goes when it is back', async () => {
    const { proxy: dbProxy, url: viaProxy } = await CuttableProxy.forService(
      process.env.TEST_DATABASE_URL!,
      5432,
    );
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const api = Proc.spawn(process.execPath, [ENTRY], {
      ...process.env,
      ...testEnv({ PORT: String(port), DATABASE_URL: viaProxy }),
    });
    try {
      await waitForHttp(`${base}/api/health/ready`, api);
      const alice = await apiUser(base, 'alice', 'Alice Adams');
      const page = await newPage(browser, base);
      pages.push(page);
      await loginInUi(page, alice.username, alice.password);
      await openChatTitled(page, 'Saved messages');
      await dbProxy.cut();
      await send(page, 'while the database is away');
      expect(await statusOf(page, 'while the database is away').getAttribute('data-status')).toBe('pending');
      await page.reload();
      await page.waitForSelector('#app:not([hidden])');
      expect(await page.isVisible('#auth')).toBe(false);
      await dbProxy.open();
      await openChatTitled(page, 'Saved messages');
      await waitUntilStored(statusOf(page, 'while the database is away'));
    } finally {
      await api.stop();
      await dbProxy.cut();
    }
  });
});
