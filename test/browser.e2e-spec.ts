import { mkdirSync } from 'fs';
import { join } from 'path';
import { Browser, chromium, Page } from 'playwright-core';
import { RunningApp, startApp } from './support/app';
import { uniqueName } from './support/http';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
];
const ARTIFACTS = join(__dirname, '..', 'test-artifacts');

describe('web client in real Chromium (two API instances)', () => {
  let a: RunningApp;
  let b: RunningApp;
  let browser: Browser;
  /** Every alert() seen (an injected script would raise one); prompts are answered from `answers`. */
  const alerts: string[] = [];
  const answers = new Map<Page, string[]>();

  const newPage = async (app: RunningApp, viewport = { width: 1200, height: 800 }) => {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    page.on('dialog', (d) => {
      if (d.type() === 'alert') alerts.push(d.message());
      const answer = answers.get(page)?.shift();
      void (answer === undefined ? d.dismiss() : d.accept(answer));
    });
    await page.goto(app.url);
    return page;
  };
  const register = async (page: Page, prefix: string) => {
    const username = uniqueName(prefix);
    await page.fill('#register-form input[name=email]', `${username}@example.com`);
    await page.fill('#register-form input[name=username]', username);
    await page.fill(
      '#register-form input[name=displayName]',
      `${prefix[0].toUpperCase()}${prefix.slice(1)} ${username.slice(-4)}`,
    );
    await page.fill('#register-form input[name=password]', 'browser-password');
    await page.click('#register-form button[type=submit]');
    await page.waitForSelector('#app:not([hidden])');
    return { username, displayName: `${prefix[0].toUpperCase()}${prefix.slice(1)} ${username.slice(-4)}` };
  };
  const openChatWith = async (page: Page, username: string) => {
    await page.fill('#user-search', username);
    await page.click(`[data-testid=search-result]:has-text("@${username}")`);
    await page.waitForSelector('#chat-view:not([hidden])');
  };
  const openChatTitled = async (page: Page, title: string) => {
    await page.click(`[data-testid=chat-item]:has-text("${title}")`);
    await page.waitForSelector('#chat-view:not([hidden])');
  };
  const send = async (page: Page, text: string) => {
    await page.fill('#message-input', text);
    await page.press('#message-input', 'Enter');
  };
  const message = (page: Page, text: string) =>
    page.locator('#messages [data-testid=message] .text', { hasText: text });

  beforeAll(async () => {
    [a, b] = await Promise.all([startApp(), startApp()]);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    mkdirSync(ARTIFACTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await Promise.all([a?.close(), b?.close()]);
  });

  it('shows registration errors next to the field', async () => {
    const page = await newPage(a);
    const taken = await register(page, 'taken');
    await page.click('#logout');
    await page.waitForSelector('#auth:not([hidden])');
    await page.fill('#register-form input[name=email]', 'not-an-email');
    await page.fill('#register-form input[name=username]', taken.username);
    await page.fill('#register-form input[name=password]', 'short');
    await page.click('#register-form button[type=submit]');
    await expectText(page, '#register-form [data-error-for=email]', /valid email/);
    await expectText(page, '#register-form [data-error-for=password]', /10 characters/);
    await page.fill('#register-form input[name=email]', `${uniqueName('x')}@example.com`);
    await page.fill('#register-form input[name=password]', 'long-enough-1');
    await page.click('#register-form button[type=submit]');
    await expectText(page, '#register-form [data-error-for=username]', /already taken/);
    await page.fill('#login-form input[name=login]', taken.username);
    await page.fill('#login-form input[name=password]', 'wrong-password');
    await page.click('#login-form button[type=submit]');
    await expectText(page, '#login-form [data-error-for=_form]', /Invalid login or password/);
    await page.context().close();
  });

  it('two users chat in real time: typing, presence, ✓ then ✓✓, text never as HTML, session survives reload', async () => {
    const alicePage = await newPage(a);
    const bobPage = await newPage(b);
    const alice = await register(alicePage, 'alice');
    const bob = await register(bobPage, 'bob');

    await openChatWith(alicePage, bob.username);
    await expectText(alicePage, '#chat-title', bob.displayName);
    // Bob learns of the new chat live and opens it.
    await openChatTitled(bobPage, alice.displayName);
    await expectText(bobPage, '#chat-status', 'online');

    await alicePage.fill('#message-input', 'hel');
    await alicePage.type('#message-input', 'lo');
    await expectText(bobPage, '#typing', `${alice.displayName} is typing…`);

    // Alice's page is scrolled away from nothing; her message shows at once, then ✓, then ✓✓ once Bob sees it.
    await send(alicePage, 'hello bob');
    await message(bobPage, 'hello bob').waitFor();
    await expectText(bobPage, '#typing', '');
    const status = alicePage
      .locator('#messages [data-testid=message]', { hasText: 'hello bob' })
      .locator('[data-testid=status]');
    await waitForAttr(status, 'data-status', 'read');
    expect(await status.textContent()).toBe('✓✓');

    await send(bobPage, 'hi alice');
    await message(alicePage, 'hi alice').waitFor();

    const evil = '<img src=x onerror=alert(1)>';
    await send(alicePage, evil);
    await message(bobPage, evil).waitFor();
    expect(await message(bobPage, evil).textContent()).toBe(evil);
    expect(await bobPage.locator('#messages img').count()).toBe(0);
    expect(await bobPage.locator('#chat-list img').count()).toBe(0);

    // Edit and delete are reflected on the other side.
    answers.set(alicePage, ['hello bob (edited)']);
    await alicePage
      .locator('#messages [data-testid=message]', { hasText: 'hello bob' })
      .getByRole('button', { name: 'Edit' })
      .click();
    await message(bobPage, 'hello bob (edited)').waitFor();

    await bobPage.reload();
    await bobPage.waitForSelector('#app:not([hidden])');
    await openChatTitled(bobPage, alice.displayName);
    await message(bobPage, 'hello bob (edited)').waitFor();
    await expectText(bobPage, '#me-name', bob.displayName);

    await alicePage.screenshot({ path: join(ARTIFACTS, 'main-screen.png') });
    expect(alerts).toEqual([]);
    await alicePage.context().close();
    await bobPage.context().close();
  });

  it('a group of three, created in the client, talks in real time', async () => {
    const [p1, p2, p3] = [await newPage(a), await newPage(b), await newPage(a, { width: 390, height: 800 })];
    const [owner, u2, u3] = [
      await register(p1, 'owner'),
      await register(p2, 'member'),
      await register(p3, 'phone'),
    ];

    await p1.click('#new-group');
    await p1.fill('#group-name', 'Trio');
    for (const u of [u2, u3]) {
      await p1.fill('#group-search', u.username);
      await p1.click(`#group-search-results [data-testid=search-result]:has-text("@${u.username}")`);
    }
    await p1.click('#group-save');
    await p1.waitForSelector('#chat-view:not([hidden])');
    await expectText(p1, '#chat-title', 'Trio');
    await expectText(p1, '#chat-status', '3 members');

    await openChatTitled(p2, 'Trio');
    await openChatTitled(p3, 'Trio'); // phone-sized: the list gives way to the conversation
    expect(await p3.locator('#sidebar').isVisible()).toBe(false);

    await send(p3, 'hello from my phone');
    await message(p1, 'hello from my phone').waitFor();
    await message(p2, 'hello from my phone').waitFor();
    await expectText(p1, '#messages .sender', u3.displayName);
    const status = p3
      .locator('#messages [data-testid=message]', { hasText: 'hello from my phone' })
      .locator('[data-testid=status]');
    await waitForAttr(status, 'data-status', 'read'); // both others have it on screen
    await p3.click('#back');
    expect(await p3.locator('#sidebar').isVisible()).toBe(true);
    for (const p of [p1, p2, p3]) await p.context().close();
    expect(owner.username).not.toBe(u2.username);
  });
});

async function expectText(page: Page, selector: string, expected: string | RegExp): Promise<void> {
  const locator = page.locator(selector).first();
  const deadline = Date.now() + 10000;
  let last = '';
  while (Date.now() < deadline) {
    last = (await locator.textContent()) ?? '';
    if (typeof expected === 'string' ? last === expected : expected.test(last)) return;
    await page.waitForTimeout(50);
  }
  throw new Error(`${selector}: expected ${String(expected)}, got "${last}"`);
}

async function waitForAttr(locator: ReturnType<Page['locator']>, name: string, value: string): Promise<void> {
  const deadline = Date.now() + 10000;
  let last: string | null = null;
  while (Date.now() < deadline) {
    last = await locator.getAttribute(name);
    if (last === value) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`expected ${name}="${value}", got "${last}"`);
}
