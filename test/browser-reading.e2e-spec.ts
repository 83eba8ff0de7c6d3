import { Browser, Page } from 'playwright-core';
import { RunningApp } from './support/app';
import {
  apiUser,
  DESKTOP,
  expectText,
  historyTexts,
  loginInUi,
  message,
  newPage,
  openChatTitled,
  send,
  statusOf,
  waitForAttr,
  waitForHidden,
  waitUntil,
  useBrowserSuite,
} from './support/browser';
import { TestUser } from './support/http';

declare const window: any;

/** `length` characters of readable text in lines, tall enough to overflow any screen. */
function longText(length: number, tag: string): string {
  let text = `${tag} starts here.`;
  for (let i = 1; text.length < length; i++)
    text += `\nLine ${i}: the quick brown fox jumps over the lazy dog.`;
  return text.slice(0, length - ' END'.length) + ' END';
}

describe('web client in real Chromium: reading, unread and notifications', () => {
  let app: RunningApp;
  let browser: Browser;
  const pages: Page[] = [];
  const open = async (user: TestUser, options = {}) => {
    const page = await newPage(browser, app.url, options);
    pages.push(page);
    await loginInUi(page, user.username, user.password);
    return page;
  };
  const pair = async () => {
    const [alice, bob] = await Promise.all([
      apiUser(app.url, 'alice', 'Alice Adams'),
      apiUser(app.url, 'bob', 'Bob Baker'),
    ]);
    const chatId = (await alice.api.post('/chats/direct', { userId: bob.id })).body.id as string;
    return { alice, bob, chatId };
  };
  const inView = (page: Page, selector: string) =>
    page.evaluate((sel) => {
      const list = window.document.getElementById('messages').getBoundingClientRect();
      const el = window.document.querySelector(sel)?.getBoundingClientRect();
      return el ? { top: el.top - list.top, bottom: el.bottom - list.top, height: list.height } : null;
    }, selector);

  useBrowserSuite({ pages, started: ([started], chromium) => ((app = started), (browser = chromium)) });

  it('a 4096-character message taller than the screen gets read; a longer one is refused with the reason', async () => {
    const { alice, bob, chatId } = await pair();
    const alicePage = await open(alice);
    const bobPage = await open(bob);
    await openChatTitled(alicePage, 'Bob Baker');
    await openChatTitled(bobPage, 'Alice Adams');

    // One character too many: the counter says so, Send is disabled, Enter explains; nothing is sent.
    await alicePage.fill('#message-input', longText(4097, 'too long'));
    await expectText(alicePage, '#composer-counter', '4,097 / 4,096: 1 too many to send');
    expect(await alicePage.isDisabled('#send')).toBe(true);
    await alicePage.press('#message-input', 'Enter');
    await expectText(
      alicePage,
      '#composer-error',
      /too long to send: 4,097 characters, and the limit is 4,096/,
    );
    expect(await alicePage.inputValue('#message-input')).toHaveLength(4097);
    expect(await message(alicePage, 'too long starts here').count()).toBe(0);

    const first = longText(4096, 'first');
    await alicePage.fill('#message-input', first);
    await expectText(alicePage, '#composer-counter', '4,096 / 4,096');
    await expectText(alicePage, '#composer-error', '');
    await alicePage.press('#message-input', 'Enter');
    // Bob has the chat open at the bottom: the message scrolls in, its end reaches the screen, it is read.
    await message(bobPage, 'first starts here').waitFor();
    const size = await inView(bobPage, '#messages [data-testid=message]:last-child');
    expect(size!.bottom - size!.top).toBeGreaterThan(size!.height);
    await waitForAttr(statusOf(alicePage, 'first starts here'), 'data-status', 'read');
    expect((await historyTexts(alice, chatId))[0]).toBe(first);

    // Bob is elsewhere when the next one comes: opening the chat shows its start, not yet its end.
    await openChatTitled(bobPage, 'Saved messages');
    await send(alicePage, longText(4096, 'second'));
    await waitForAttr(statusOf(alicePage, 'second starts here'), 'data-status', 'sent');
    await openChatTitled(bobPage, 'Alice Adams');
    await bobPage.waitForSelector('[data-testid=unread-divider]');
    const divider = await inView(bobPage, '[data-testid=unread-divider]');
    expect(divider!.top).toBeGreaterThanOrEqual(0);
    expect(divider!.top).toBeLessThan(100);
    expect(await statusOf(alicePage, 'second starts here').getAttribute('data-status')).toBe('sent');
    await bobPage.hover('#messages');
    await bobPage.mouse.wheel(0, 20000);
    await waitForAttr(statusOf(alicePage, 'second starts here'), 'data-status', 'read');
  });

  it('a chat with many unread opens at the first unread, with a divider, "↓ N new" and the count in the tab title', async () => {
    const { alice, bob, chatId } = await pair();
    const post = (text: string) =>
      bob.api.post(`/chats/${chatId}/messages`, { text, clientMsgId: text.replace(/ /g, '-') });
    for (let i = 1; i <= 5; i++) await post(`old ${i}`);
    await alice.api.post(`/chats/${chatId}/read`, { seq: 5 });
    for (let i = 1; i <= 40; i++) await post(`new ${i}`);

    const page = await open(alice);
    await expectText(page, `#chat-list [data-chat-id="${chatId}"] [data-testid=unread]`, '40');
    await waitUntil(
      'title',
      () => page.title(),
      (t) => t === '(40) Messenger',
    );

    await openChatTitled(page, 'Bob Baker');
    await page.waitForSelector('[data-testid=unread-divider]');
    const divider = await inView(page, '[data-testid=unread-divider]');
    expect(divider!.top).toBeGreaterThanOrEqual(0);
    expect(divider!.top).toBeLessThan(100);
    const next = await page.evaluate(
      () =>
        window.document.querySelector('[data-testid=unread-divider]').nextElementSibling.innerText as string,
    );
    expect(next).toContain('new 1');
    const last = await inView(page, '#messages [data-testid=message]:last-child');
    expect(last!.top).toBeGreaterThan(last!.height); // "new 40" is below the screen, not read yet
    // What is on screen is read; the button counts what is still below.
    const remaining = await waitUntil(
      'jump count',
      async () => Number(((await page.textContent('#jump-count')) ?? '').split(' ')[0]),
      (n) => n > 0 && n < 40,
    );
    expect(await page.textContent('#jump-count')).toBe(`${remaining} new`);

    await page.click('#jump-down');
    await waitUntil(
      'badge gone',
      () => page.locator(`#chat-list [data-chat-id="${chatId}"] [data-testid=unread]`).count(),
      (n) => n === 0,
    );
    await waitUntil(
      'title',
      () => page.title(),
      (t) => t === 'Messenger',
    );
    await waitForHidden(page, '#jump-down');

    // Scrolled up, new messages wait below: the button counts them.
    await page.hover('#messages');
    await page.mouse.wheel(0, -3000);
    await post('fresh 1');
    await post('fresh 2');
    await expectText(page, '#jump-count', '2 new');
    await waitUntil(
      'title',
      () => page.title(),
      (t) => t === '(2) Messenger',
    );
    await page.click('#jump-down');
    await waitUntil(
      'title',
      () => page.title(),
      (t) => t === 'Messenger',
    );
  });

  it('a chat with more unread than a page opens at the first unread and reads only what is shown', async () => {
    const { alice, bob, chatId } = await pair();
    // More than one page (50) unread: the first unread is found in an older page than the newest.
    for (let i = 1; i <= 70; i++)
      await bob.api.post(`/chats/${chatId}/messages`, { text: `unread ${i}`, clientMsgId: `u${i}` });
    const page = await open(alice);
    await expectText(page, `#chat-list [data-chat-id="${chatId}"] [data-testid=unread]`, '70');
    await openChatTitled(page, 'Bob Baker');
    await page.waitForSelector('[data-testid=unread-divider]');
    const next = await page.evaluate(
      () =>
        window.document.querySelector('[data-testid=unread-divider]').nextElementSibling.innerText as string,
    );
    expect(next).toContain('unread 1');
    const last = await inView(page, '#messages [data-testid=message]:last-child');
    expect(last!.top).toBeGreaterThan(last!.height); // "unread 70" is below the screen
    // What is on screen gets read, the rest stays unread: on the server too.
    const remaining = await waitUntil(
      'jump count',
      async () => Number(((await page.textContent('#jump-count')) ?? '').split(' ')[0]),
      (n) => n > 0 && n < 70,
    );
    await new Promise((r) => setTimeout(r, 500)); // a stale read mark would have been sent by now
    const chat = (await alice.api.get(`/chats/${chatId}`)).body;
    expect(chat.unreadCount).toBeGreaterThan(0);
    expect(chat.unreadCount).toBe(remaining);
  });

  it('desktop notifications, asked for on a click, for messages in chats that are not open', async () => {
    const { alice, bob } = await pair();
    const carol = await apiUser(app.url, 'carol', 'Carol Díaz');
    const withCarol = (await carol.api.post('/chats/direct', { userId: alice.id })).body.id as string;
    const context = await browser.newContext({ viewport: DESKTOP });
    await context.grantPermissions(['notifications']);
    // Records what the page shows, then lets the browser's own Notification do the rest.
    await context.addInitScript(() => {
      const Real = window.Notification;
      const shown: { title: string; body: string }[] = [];
      window.shownNotifications = shown;
      class Recorded extends Real {
        constructor(title: string, options: any) {
          shown.push({ title, body: options?.body });
          super(title, options);
        }
      }
      window.Notification = Recorded;
    });
    const page = await newPage(browser, app.url, { context });
    pages.push(page);
    await loginInUi(page, alice.username, alice.password);
    await page.click('#profile-open');
    await page.click('#notify-toggle');
    await expectText(page, '#notify-status', /^On:/);
    await page.keyboard.press('Escape');
    await openChatTitled(page, 'Carol Díaz');

    await carol.api.post(`/chats/${withCarol}/messages`, { text: 'in the open chat', clientMsgId: 'c-open' });
    await message(page, 'in the open chat').waitFor();
    const withBob = (await bob.api.post('/chats/direct', { userId: alice.id })).body.id as string;
    await bob.api.post(`/chats/${withBob}/messages`, { text: 'ping from bob', clientMsgId: 'b-ping' });
    const shown = await waitUntil(
      'notification',
      () => page.evaluate(() => window.shownNotifications as { title: string; body: string }[]),
      (list) => list.length > 0,
    );
    expect(shown).toEqual([{ title: 'Bob Baker', body: 'ping from bob' }]);

    // A group message names its sender, also one whose profile this page has not loaded yet: a notification
    // cannot be corrected once it is shown.
    const dave = await apiUser(app.url, 'dave', 'Dave Dunn');
    const trip = (await carol.api.post('/groups', { name: 'Trip', memberIds: [alice.id, dave.id] })).body;
    await page.locator('#chat-list [data-testid=chat-item]:has-text("Trip")').waitFor();
    const sent = await dave.api.post(`/chats/${trip.chatId}/messages`, {
      text: 'hello group',
      clientMsgId: 'd-hello',
    });
    expect(sent.status).toBe(201);
    const both = await waitUntil(
      'second notification',
      () => page.evaluate(() => window.shownNotifications as { title: string; body: string }[]),
      (list) => list.length > 1,
    );
    expect(both[1]).toEqual({ title: 'Trip', body: 'Dave Dunn: hello group' });
  });
});
