import { join } from 'path';
import { Browser, Page } from 'playwright-core';
import { RunningApp, testEnv } from './support/app';
import {
  apiUser,
  DESKTOP,
  expectText,
  loginInUi,
  message,
  newPage,
  openChatTitled,
  PageProxy,
  registerInUi,
  send,
  statusOf,
  waitForAttr,
  waitUntilStored,
  waitForHidden,
  waitUntil,
  useBrowserSuite,
} from './support/browser';
import { Api, TestUser, uniqueName } from './support/http';
import { freePort, Proc, waitForHttp } from './support/processes';

declare const window: any;

const ENTRY = join(__dirname, '..', 'dist', 'main.js');

/**
 * The client's side of server features that arrive with the API's next version (see the client's
 * feature detection): the refresh cookie, session and shutdown events, service messages, mute, profile
 * editing, group-invite settings, stricter passwords, big groups, the CSP header.
 */
describe('web client in real Chromium: features the server provides', () => {
  let app: RunningApp;
  let browser: Browser;
  const pages: Page[] = [];
  const open = async (user?: TestUser, url = app.url, options = {}) => {
    const page = await newPage(browser, url, options);
    pages.push(page);
    if (user) await loginInUi(page, user.username, user.password);
    return page;
  };

  useBrowserSuite({ pages, started: ([started], chromium) => ((app = started), (browser = chromium)) });

  it('keeps the refresh token in an HttpOnly cookie: nothing in localStorage, reloads and tabs stay signed in', async () => {
    const page = await open();
    await registerInUi(page, 'cookie');
    const stored = await page.evaluate(() => JSON.stringify({ ...window.localStorage }));
    expect(stored).not.toMatch(/refreshToken|accessToken|eyJ/);
    expect(await page.evaluate(() => window.document.cookie)).not.toContain('refresh_token');
    const cookie = (await page.context().cookies()).find((c) => c.name === 'refresh_token');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/api/auth' });

    // Two tabs of one browser reload at once: they take turns with the single-use refresh token.
    const second = await page.context().newPage();
    await second.goto(app.url);
    await second.waitForSelector('#app:not([hidden])');
    await Promise.all([page.reload(), second.reload()]);
    for (const p of [page, second]) {
      await p.waitForSelector('[data-testid=chat-item]');
      await openChatTitled(p, 'Saved messages');
    }
    await send(second, 'from the second tab');
    await waitUntilStored(statusOf(second, 'from the second tab'));
    await message(page, 'from the second tab').waitFor();

    await page.click('#profile-open');
    await page.click('#logout');
    await page.waitForSelector('#auth:not([hidden])');
    expect((await page.context().cookies()).find((c) => c.name === 'refresh_token')).toBeUndefined();
    await page.reload();
    await page.waitForSelector('#auth:not([hidden])');
  });

  it('a session ended from another device signs this one out, saying so (session:ended)', async () => {
    const alice = await apiUser(app.url, 'alice', 'Alice Adams');
    const page = await open(alice);
    const sessions = (await alice.api.get('/auth/sessions')).body as { id: string; current: boolean }[];
    const browserSession = sessions.find((s) => !s.current)!;
    await alice.api.delete(`/auth/sessions/${browserSession.id}`);
    await page.waitForSelector('#auth:not([hidden])');
    await expectText(page, '#auth-notice', /^You were signed out/);
    // Trying to sign in again clears the notice, and its (empty) bar goes with it.
    await page.fill('#login-login', alice.username);
    await page.fill('#login-password', 'not-the-password');
    await page.click('#login-form button[type=submit]');
    await expectText(page, '#login-form [data-error-for=_form]', 'Wrong username, email or password.');
    expect(await page.isHidden('#auth-notice')).toBe(true);
  });

  it('a server restart (server:shutdown) reconnects at once, without the Offline banner', async () => {
    // Separate processes: a restart is one process going away while the next one is already up.
    const spawnApi = async () => {
      const port = await freePort();
      const proc = Proc.spawn(process.execPath, [ENTRY], {
        ...process.env,
        ...testEnv({ PORT: String(port) }),
      });
      await waitForHttp(`http://127.0.0.1:${port}/api/health`, proc);
      return { proc, port };
    };
    const first = await spawnApi();
    const proxy = await PageProxy.to(`http://127.0.0.1:${first.port}`);
    let second: Awaited<ReturnType<typeof spawnApi>> | undefined;
    try {
      const alice = await apiUser(proxy.url, 'alice', 'Alice Adams');
      const page = await open(alice, proxy.url);
      await page.evaluate(() => {
        const banner = window.document.getElementById('banner');
        window.bannerTexts = [];
        new window.MutationObserver(() => window.bannerTexts.push(banner.textContent)).observe(banner, {
          childList: true,
          characterData: true,
          subtree: true,
          attributes: true,
        });
      });
      await openChatTitled(page, 'Saved messages');
      second = await spawnApi();
      proxy.target = { host: '127.0.0.1', port: second.port };
      await first.proc.stop('SIGTERM');
      // The reconnect can be quicker than a poll of the banner: read what the observer recorded.
      await waitUntil(
        'banner texts',
        () => page.evaluate(() => window.bannerTexts),
        (texts: string[]) => texts.includes('Reconnecting…'),
      );
      await waitForHidden(page, '#banner');
      await send(page, 'after the restart');
      await waitUntilStored(statusOf(page, 'after the restart'));
      const seen: string[] = await page.evaluate(() => window.bannerTexts);
      expect(seen.filter((t) => t.startsWith('Offline'))).toEqual([]);
    } finally {
      await proxy.close();
      await first.proc.stop();
      await second?.proc.stop();
    }
  });

  it('shows service messages ("… added …", "… left", renamed) live and in history, never as unread', async () => {
    const [owner, mia, max] = await Promise.all([
      apiUser(app.url, 'olga', 'Olga Owner'),
      apiUser(app.url, 'mia', 'Mia Member'),
      apiUser(app.url, 'max', 'Max Member'),
    ]);
    const group = (await owner.api.post('/groups', { name: 'Book club', memberIds: [mia.id] })).body;
    const page = await open(mia);
    await openChatTitled(page, 'Book club');
    await owner.api.post(`/groups/${group.id}/members`, { userIds: [max.id] });
    await expectText(page, '#messages [data-testid=system]:last-child', 'Olga Owner added Max Member');
    await openChatTitled(page, 'Saved messages');
    await owner.api.patch(`/groups/${group.id}`, { name: 'Reading circle' });
    await max.api.delete(`/groups/${group.id}/members/${max.id}`);
    await expectText(page, `#chat-list [data-chat-id="${group.chatId}"] .preview`, 'Max Member left');
    expect(
      await page.locator(`#chat-list [data-chat-id="${group.chatId}"] [data-testid=unread]`).count(),
    ).toBe(0);
    await page.reload();
    await page.waitForSelector('[data-testid=chat-item]');
    await openChatTitled(page, 'Reading circle');
    // After the reload the client knows the actor's name only once its profile arrives ("…" until then).
    const expected = [
      'Olga Owner added Max Member',
      'Olga Owner renamed the group to “Reading circle”',
      'Max Member left',
    ];
    const lines = await waitUntil(
      'service messages in history',
      () => page.locator('#messages [data-testid=system]').allTextContents(),
      (texts) => expected.every((t) => texts.includes(t)),
    );
    expect(lines).toEqual(expect.arrayContaining(expected));
    expect(await page.locator('[data-testid=unread-divider]').count()).toBe(0);
  });

  it('mutes a chat from its header (stored on the server): no desktop notification for it', async () => {
    const [alice, bob, carol] = await Promise.all([
      apiUser(app.url, 'alice', 'Alice Adams'),
      apiUser(app.url, 'bob', 'Bob Baker'),
      apiUser(app.url, 'carol', 'Carol Díaz'),
    ]);
    const withBob = (await bob.api.post('/chats/direct', { userId: alice.id })).body.id as string;
    const withCarol = (await carol.api.post('/chats/direct', { userId: alice.id })).body.id as string;
    const context = await browser.newContext({ viewport: DESKTOP });
    await context.grantPermissions(['notifications']);
    await context.addInitScript(() => {
      const Real = window.Notification;
      window.shownNotifications = [];
      window.Notification = class extends Real {
        constructor(title: string, options: any) {
          window.shownNotifications.push(title);
          super(title, options);
        }
      };
    });
    const page = await open(undefined, app.url, { context });
    await loginInUi(page, alice.username, alice.password);
    await page.click('#profile-open');
    await page.click('#notify-toggle');
    await page.keyboard.press('Escape');
    await openChatTitled(page, 'Bob Baker');
    await page.click('#mute-toggle');
    await waitForAttr(page.locator('#mute-toggle'), 'aria-pressed', 'true');
    await page.reload();
    await openChatTitled(page, 'Bob Baker');
    await waitForAttr(page.locator('#mute-toggle'), 'aria-pressed', 'true');
    await openChatTitled(page, 'Saved messages');
    await bob.api.post(`/chats/${withBob}/messages`, { text: 'muted ping', clientMsgId: 'b1' });
    await expectText(page, `#chat-list [data-chat-id="${withBob}"] .preview`, 'muted ping');
    await carol.api.post(`/chats/${withCarol}/messages`, { text: 'loud ping', clientMsgId: 'c1' });
    const shown = await waitUntil(
      'notification',
      () => page.evaluate(() => window.shownNotifications as string[]),
      (list) => list.length > 0,
    );
    expect(shown).toEqual(['Carol Díaz']);
    expect(await page.title()).toBe('(1) Messenger'); // a muted chat does not count in the title
  });

  it('edits the profile (display name, who can add me to groups); a refused group invitation says why', async () => {
    const [alice, carol] = await Promise.all([
      apiUser(app.url, 'alice', 'Alice Adams'),
      apiUser(app.url, 'carol', 'Carol Díaz'),
    ]);
    const carolPage = await open(carol);
    await carolPage.click('#profile-open');
    await expectText(carolPage, '#profile-username', `@${carol.username}`);
    await carolPage.fill('#profile-display-name', 'Carol C.');
    await carolPage.check('#invites-contacts');
    await carolPage.click('#profile-save');
    await expectText(carolPage, '#profile-status', 'Saved.');
    await expectText(carolPage, '#me-name', 'Carol C.');

    const alicePage = await open(alice);
    await alicePage.click('#new-group');
    await alicePage.fill('#group-name', 'Strangers');
    await alicePage.fill('#group-search', carol.username);
    await alicePage.click(`#group-search-results [data-user-id="${carol.id}"]`);
    await alicePage.click('#group-save');
    await expectText(
      alicePage,
      '#group-form [data-error-for=_form]',
      'Carol C. only accepts group invitations from contacts.',
    );
  });

  it('refuses a common password with words, and shows presence only for people who share a chat', async () => {
    const page = await open();
    const username = uniqueName('pw');
    await page.fill('#register-email', `${username}@example.com`);
    await page.fill('#register-username', username);
    await page.fill('#register-password', 'password123');
    await page.click('#register-form button[type=submit]');
    await expectText(page, '#register-form [data-error-for=password]', /too common/);

    const stranger = await apiUser(app.url, 'stranger', 'Sid Stranger');
    await page.fill('#register-password', 'a-much-less-common-passphrase');
    await page.click('#register-form button[type=submit]');
    await page.waitForSelector('#app:not([hidden])');
    await page.click('#new-chat');
    await page.fill('#people-search', stranger.username);
    const sub = page.locator(`#people-list [data-user-id="${stranger.id}"] .sub`);
    await sub.waitFor();
    expect(await sub.textContent()).toBe(`@${stranger.username}`);
  });

  it('lists the members of a group over 100 page by page', async () => {
    const api = new Api(app.url);
    const owner = await apiUser(app.url, 'big', 'Big Owner');
    const others = await Promise.all(
      Array.from({ length: 104 }, (_, i) =>
        api.post('/auth/register', {
          email: `${uniqueName(`m${i}`)}@example.com`,
          username: uniqueName(`m${i}`),
          password: 'a-long-enough-password',
        }),
      ),
    );
    const ids = others.map((r) => r.body.user.id as string);
    // At most 100 ids per request: create with 99 (and the owner), then add the rest.
    const group = (await owner.api.post('/groups', { name: 'Crowd', memberIds: ids.slice(0, 99) })).body;
    expect((await owner.api.post(`/groups/${group.id}/members`, { userIds: ids.slice(99) })).status).toBe(
      200,
    );
    const page = await open(owner);
    await page.click(`#chat-list [data-chat-id="${group.chatId}"]`);
    await expectText(page, '#chat-status', '105 members');
    await page.click('#chat-info');
    await waitUntil(
      'first page',
      () => page.locator('#info-members [data-testid=member]').count(),
      (n) => n === 50,
    );
    await page.click('#info-members-more');
    await waitUntil(
      'second page',
      () => page.locator('#info-members [data-testid=member]').count(),
      (n) => n === 100,
    );
    await page.click('#info-members-more');
    await waitUntil(
      'all',
      () => page.locator('#info-members [data-testid=member]').count(),
      (n) => n === 105,
    );
    await waitForHidden(page, '#info-members-more');
  });

  it('gets a strict Content-Security-Policy from the server', async () => {
    const res = await fetch(`${app.url}/`);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/script-src 'self'/);
    expect(csp).toMatch(/style-src 'self'/);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
  });
});
