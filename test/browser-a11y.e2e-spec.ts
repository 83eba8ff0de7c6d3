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
  PHONE,
  screenshot,
  seriousA11yViolations,
  send,
  strongPassword,
  waitForHidden,
  waitUntil,
  useBrowserSuite,
} from './support/browser';
import { Api, registerUser, TestUser, uniqueName } from './support/http';

// Page functions run in the browser; the project's TypeScript has no DOM library, so they see these as `any`.
declare const document: any;
declare const window: any;
declare function getComputedStyle(el: any): any;

const activeId = (page: Page) => page.evaluate(() => document.activeElement?.id ?? '');
const activeText = (page: Page) => page.evaluate(() => document.activeElement?.innerText ?? '');
const focusRing = (page: Page) =>
  page.evaluate(() => {
    const style = getComputedStyle(document.activeElement);
    return style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
  });

/** Presses Tab until the element with `id` has focus (at most `max` times). */
async function tabTo(page: Page, id: string, max = 12, key = 'Tab'): Promise<void> {
  for (let i = 0; i < max; i++) {
    if ((await activeId(page)) === id) return;
    await page.keyboard.press(key);
  }
  throw new Error(`${key} never reached #${id} (focus is on #${await activeId(page)})`);
}

describe('web client in real Chromium: keyboard, accessibility, screenshots', () => {
  let app: RunningApp;
  let browser: Browser;
  const pages: Page[] = [];
  const open = async (options = {}) => {
    const page = await newPage(browser, app.url, options);
    pages.push(page);
    return page;
  };

  /** A conversation worth looking at: a direct chat with a few messages, and a group. */
  async function furnish(me: TestUser) {
    const [bob, carol] = await Promise.all([
      apiUser(app.url, 'bob', 'Bob Baker'),
      apiUser(app.url, 'carol', 'Carol Díaz'),
    ]);
    const chatId = (await bob.api.post('/chats/direct', { userId: me.id })).body.id as string;
    for (const [user, text] of [
      [bob, 'Hi! Are we still on for Friday?'],
      [me, 'Yes — 7 pm at the usual place. See https://example.com/menu'],
      [bob, 'Great, I will book a table for four.'],
    ] as const)
      await user.api.post(`/chats/${chatId}/messages`, { text, clientMsgId: uniqueName('m') });
    const group = (await me.api.post('/groups', { name: 'Weekend trip', memberIds: [bob.id, carol.id] }))
      .body;
    await carol.api.post(`/chats/${group.chatId}/messages`, { text: 'I can drive.', clientMsgId: 'c1' });
    return { bob, carol, chatId, group };
  }

  useBrowserSuite({ pages, started: ([started], chromium) => ((app = started), (browser = chromium)) });

  it('keyboard only: register, find a person, open the chat, send, edit through the message menu', async () => {
    const bob = await registerUser(new Api(app.url), 'kbob');
    const page = await open();
    const username = uniqueName('keys');
    await tabTo(page, 'register-email');
    await page.keyboard.type(`${username}@example.com`);
    await page.keyboard.press('Tab');
    await page.keyboard.type(username);
    await tabTo(page, 'register-password');
    await page.keyboard.type(strongPassword());
    await page.keyboard.press('Enter');
    await page.waitForSelector('#app:not([hidden])');

    // Signed in, the focus is in the search box: type, and Enter opens the first result.
    await waitUntil(
      'focus in search',
      () => activeId(page),
      (id) => id === 'search',
    );
    await page.keyboard.type(bob.username);
    await page.waitForSelector(`#search-results [data-testid=search-result]:has-text("@${bob.username}")`);
    await page.keyboard.press('Enter');
    await expectText(page, '#chat-title', bob.username);
    expect(await activeId(page)).toBe('message-input');
    await page.keyboard.type('hi from the keyboard');
    await page.keyboard.press('Shift+Enter');
    await page.keyboard.type('second line');
    await page.keyboard.press('Enter');
    await message(page, 'second line').waitFor();
    const chatId = await page.locator('#chat-list [aria-selected=true]').getAttribute('data-chat-id');
    await waitUntil(
      'stored',
      () => historyTexts(bob, chatId!),
      (t) => t.length === 1,
    );
    expect(await historyTexts(bob, chatId!)).toEqual(['hi from the keyboard\nsecond line']);

    // The message list is one Tab stop; arrows move between messages, Enter opens the menu.
    await page.keyboard.press('Shift+Tab');
    expect(await activeId(page)).toBe('messages');
    await page.keyboard.press('ArrowUp');
    expect(await activeText(page)).toContain('second line');
    expect(await focusRing(page)).toBe(true);
    await page.keyboard.press('Enter');
    await page.waitForSelector('#context-menu:not([hidden])');
    await page.keyboard.press('Escape');
    await waitForHidden(page, '#context-menu');
    expect(await activeText(page)).toContain('second line');
    await page.keyboard.press('Enter');
    await page.keyboard.press('ArrowDown'); // Copy text → Edit
    expect(await activeText(page)).toBe('Edit');
    await page.keyboard.press('Enter');
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.type('edited by keyboard');
    await page.keyboard.press('Enter');
    await message(page, 'edited by keyboard').locator('.edited').waitFor();

    // Chat list: a listbox; arrows move, Enter opens. Dialogs close with Escape.
    await page.focus('#search');
    await page.keyboard.press('ArrowDown');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('role'))).toBe('option');
    expect(await focusRing(page)).toBe(true);
    await page.keyboard.press('End');
    await page.keyboard.press('Enter');
    await expectText(page, '#chat-title', 'Saved messages');
    await page.focus('#search');
    await tabTo(page, 'new-chat', 4, 'Shift+Tab');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#people-dialog[open]');
    expect(await activeId(page)).toBe('people-search');
    await page.keyboard.press('Escape');
    await page.waitForSelector('#people-dialog:not([open])', { state: 'attached' });
    expect(await activeId(page)).toBe('new-chat');
  });

  it('the people directory pages through everyone, searchable, and starts chats', async () => {
    const api = new Api(app.url);
    const tag = uniqueName('dir').slice(0, 10);
    const many = await Promise.all(Array.from({ length: 23 }, (_, i) => registerUser(api, `${tag}${i}x`)));
    const me = many[0];
    const page = await open();
    await loginInUi(page, me.username, me.password);
    await page.click('#new-chat');
    await page.fill('#people-search', tag);
    await expectText(page, '#people-count', `23 people matching “${tag}”`);
    expect(await page.locator('#people-list [role=option]').count()).toBe(20);
    await page.click('#people-more');
    await waitUntil(
      'second page',
      () => page.locator('#people-list [role=option]').count(),
      (n) => n === 23,
    );
    await expectText(page, '#people-list [role=option]:first-child .title', `${me.username} (you)`);
    await page.fill('#people-search', many[7].username);
    await expectText(page, '#people-count', /^1 person/);
    await page.press('#people-search', 'Enter');
    await waitForHidden(page, '#people-dialog');
    await expectText(page, '#chat-title', many[7].username);
  });

  it('main screens have no serious or critical axe violations, on a desktop and a phone; screenshots', async () => {
    const me = await apiUser(app.url, 'sam', 'Sam Shaw');
    const { group } = await furnish(me);

    // axe-core is injected into these pages, which the server's CSP would (rightly) refuse.
    const auth = await open({ bypassCSP: true });
    await auth.waitForSelector('#auth:not([hidden])');
    expect(await seriousA11yViolations(auth)).toEqual([]);
    await screenshot(auth, 'auth-desktop');
    await auth.setViewportSize(PHONE);
    expect(await seriousA11yViolations(auth)).toEqual([]);
    await screenshot(auth, 'auth-phone');
    await auth.setViewportSize(DESKTOP);

    await loginInUi(auth, me.username, me.password);
    const page = auth;
    await openChatTitled(page, 'Weekend trip');
    await message(page, 'I can drive.').waitFor();
    await openChatTitled(page, 'Bob Baker');
    await message(page, 'book a table').waitFor();
    await page.fill('#message-input', 'Perfect, thanks!');
    expect(await seriousA11yViolations(page)).toEqual([]);
    await screenshot(page, 'chat-desktop');

    await message(page, 'usual place').click({ button: 'right' });
    await page.waitForSelector('#context-menu:not([hidden])');
    expect(await seriousA11yViolations(page)).toEqual([]);
    await screenshot(page, 'menu-desktop');
    await page.keyboard.press('Escape');

    await openChatTitled(page, 'Weekend trip');
    await page.click('#chat-info');
    await page.waitForSelector('#info-dialog[open]');
    await page.waitForSelector('#info-members [data-testid=member] >> nth=2');
    expect(await seriousA11yViolations(page)).toEqual([]);
    await screenshot(page, 'group-info-desktop');
    await page.keyboard.press('Escape');

    await page.click('#new-chat');
    await page.waitForSelector('#people-list [role=option]');
    expect(await seriousA11yViolations(page)).toEqual([]);
    await screenshot(page, 'people-desktop');
    await page.keyboard.press('Escape');

    await page.click('#profile-open');
    await page.waitForSelector('#profile-dialog[open]');
    // This server has no Telegram bot: the profile says so instead of offering a link that would fail.
    await expectText(page, '#telegram-status', 'Telegram notifications are not set up on this server.');
    expect(await page.isHidden('#telegram-connect')).toBe(true);
    expect(await seriousA11yViolations(page)).toEqual([]);
    await screenshot(page, 'profile-desktop');
    await page.keyboard.press('Escape');

    // A phone: one pane at a time, and every control big enough to tap (40 px).
    const dan = await apiUser(app.url, 'dan', 'Dan Long');
    const talkative = (await dan.api.post('/chats/direct', { userId: me.id })).body.id;
    await dan.api.post(`/chats/${talkative}/messages`, {
      text: 'A preview far longer than any phone is wide, on one line, '.repeat(6),
      clientMsgId: 'long-1',
    });
    const phone = await open({ viewport: PHONE, isMobile: true, hasTouch: true, bypassCSP: true });
    await loginInUi(phone, me.username, me.password);
    await phone.waitForSelector(`#chat-list [data-chat-id="${talkative}"]`);
    // Nothing wider than the phone: a long preview ends in "…" instead of pushing the buttons off-screen.
    expect(await phone.evaluate(() => window.document.documentElement.scrollWidth)).toBeLessThanOrEqual(
      PHONE.width,
    );
    const newGroup = (await phone.locator('#new-group').boundingBox())!;
    expect(newGroup.x + newGroup.width).toBeLessThanOrEqual(PHONE.width);
    expect(await seriousA11yViolations(phone)).toEqual([]);
    expect(await smallTapTargets(phone)).toEqual([]);
    await screenshot(phone, 'list-phone');
    await phone.click(`#chat-list [data-chat-id="${group.chatId}"]`);
    await message(phone, 'I can drive.').waitFor();
    expect(await seriousA11yViolations(phone)).toEqual([]);
    expect(await smallTapTargets(phone)).toEqual([]);
    await screenshot(phone, 'chat-phone');
    await phone.click('#chat-info');
    await phone.waitForSelector('#info-dialog[open]');
    expect(await smallTapTargets(phone)).toEqual([]);
    await screenshot(phone, 'group-info-phone');
  });

  it('runs under a strict Content-Security-Policy without a single violation', async () => {
    const me = await apiUser(app.url, 'csp', 'Casey Page');
    const { bob, chatId } = await furnish(me);
    const context = await browser.newContext({ viewport: DESKTOP });
    const csp =
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
      "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
    await context.route(
      (url) => url.pathname === '/' || url.pathname === '/index.html',
      async (route) => {
        const response = await route.fetch();
        await route.fulfill({ response, headers: { ...response.headers(), 'content-security-policy': csp } });
      },
    );
    await context.addInitScript(() => {
      window.cspViolations = [];
      document.addEventListener('securitypolicyviolation', (e: any) =>
        window.cspViolations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sample}`),
      );
    });
    const page = await newPage(browser, app.url, { context });
    pages.push(page);
    await loginInUi(page, me.username, me.password);
    await page.click(`#chat-list [data-chat-id="${chatId}"]`);
    await message(page, 'book a table').waitFor();
    await page.fill('#message-input', 'line one\nline two\nline three\nline four');
    await page.press('#message-input', 'Enter');
    await message(page, 'line four').waitFor();
    await message(page, 'line four').click({ button: 'right' });
    await page.waitForSelector('#context-menu:not([hidden])');
    await page.keyboard.press('Escape');
    await send(page, 'x');
    await page.click('#chat-info');
    await page.keyboard.press('Escape');
    expect(await page.evaluate(() => window.cspViolations)).toEqual([]);
    expect(bob.id).toBeTruthy();
  });
});

/** Visible controls smaller than 40×40 px (text fields: 40 px tall). */
async function smallTapTargets(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const small: string[] = [];
    const controls = document.querySelectorAll(
      'button, [role=option], input, textarea, a[href], [role=menuitem]',
    );
    for (const el of controls) {
      const rect = el.getBoundingClientRect();
      if (!rect.width || !rect.height || getComputedStyle(el).visibility === 'hidden') continue;
      if (getComputedStyle(el).opacity === '0') continue;
      const field = el.matches('input:not([type=checkbox]):not([type=radio]), textarea');
      const link = el.matches('a');
      if (rect.height < 40 || (!field && !link && rect.width < 40) || (link && rect.height < 20))
        small.push(
          `${el.tagName.toLowerCase()}#${el.id || el.innerText.slice(0, 20)} ${Math.round(rect.width)}x${Math.round(rect.height)}`,
        );
    }
    return small;
  });
}
