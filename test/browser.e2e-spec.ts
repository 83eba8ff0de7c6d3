import { Browser, Page } from 'playwright-core';
import { RunningApp } from './support/app';
import {
  expectText,
  message,
  newPage,
  openChatTitled,
  openChatWith,
  PHONE,
  registerInUi,
  screenshot,
  send,
  statusOf,
  waitForAttr,
  waitForHidden,
  useBrowserSuite,
} from './support/browser';
import { Api, registerUser } from './support/http';

// Page functions run in the browser; the project's TypeScript has no DOM library, so they see these as `any`.
declare function getComputedStyle(el: any): any;

describe('web client in real Chromium: chatting (two API instances)', () => {
  let a: RunningApp;
  let b: RunningApp;
  let browser: Browser;
  const pages: Page[] = [];
  const open = async (app: RunningApp, options = {}) => {
    const page = await newPage(browser, app.url, options);
    pages.push(page);
    return page;
  };

  useBrowserSuite({
    apps: 2,
    pages,
    started: ([x, y], chromium) => ((a = x), (b = y), (browser = chromium)),
  });

  it('registration and login answer in plain words, with a password hint before submitting', async () => {
    const taken = await registerUser(new Api(a.url), 'taken');
    const page = await open(a);
    await expectText(page, '#password-hint', /At least 10 characters\. Not your username or email/);

    // Checked in the browser: nothing is sent yet.
    await page.fill('#register-email', 'not-an-email');
    await page.fill('#register-username', 'x');
    await page.fill('#register-password', 'short');
    await expectText(page, '#password-hint', 'Use at least 10 characters.');
    await page.click('#register-form button[type=submit]');
    await expectText(
      page,
      '#register-form [data-error-for=email]',
      /valid email address, like name@example\.com/,
    );
    await expectText(
      page,
      '#register-form [data-error-for=username]',
      'Use 3–32 letters, digits or underscores.',
    );
    await expectText(page, '#register-form [data-error-for=password]', 'Use at least 10 characters.');
    expect(await page.getAttribute('#register-email', 'aria-invalid')).toBe('true');

    // The server's answers, mapped to words: a taken username, an address the server's validator refuses.
    await page.fill('#register-email', `${taken.username}x@example.com`);
    await page.fill('#register-username', taken.username);
    await page.fill('#register-password', 'a-long-enough-password');
    await page.click('#register-form button[type=submit]');
    await expectText(
      page,
      '#register-form [data-error-for=username]',
      'This username is taken. Try another one.',
    );
    await page.fill('#register-username', `${taken.username}x`);
    await page.fill('#register-email', 'someone@localhost.c');
    await page.click('#register-form button[type=submit]');
    await expectText(page, '#register-form [data-error-for=email]', /valid email address/);
    const shown = await page.locator('#register-form').innerText();
    expect(shown).not.toMatch(/must be|should not|string/);

    await page.fill('#login-login', taken.username);
    await page.fill('#login-password', 'wrong-password');
    await page.click('#login-form button[type=submit]');
    await expectText(page, '#login-form [data-error-for=_form]', 'Wrong username, email or password.');
    // The focus stays in the form (on its button), not lost to the page, so a keyboard user can go on.
    expect(
      await page.evaluate(() => !!(globalThis as any).document.activeElement?.closest('#login-form')),
    ).toBe(true);
    await page.fill('#login-password', taken.password);
    await page.click('#login-form button[type=submit]');
    await page.waitForSelector('#app:not([hidden])');
    await expectText(page, '#me-username', `@${taken.username}`);
  });

  it('two people chat in real time: typing, presence, ✓ then ✓✓, text never as HTML, edit and delete in the page', async () => {
    const alicePage = await open(a);
    const bobPage = await open(b);
    const alice = await registerInUi(alicePage, 'alice');
    const bob = await registerInUi(bobPage, 'bob');

    await openChatWith(alicePage, bob.username);
    await expectText(alicePage, '#chat-title', bob.displayName);
    await send(alicePage, 'hello bob');
    // Bob learns of the new chat live and opens it.
    await openChatTitled(bobPage, alice.displayName);
    await expectText(bobPage, '#chat-status', 'online');
    await expectText(alicePage, '#chat-status', 'online');

    await alicePage.fill('#message-input', 'hel');
    await alicePage.type('#message-input', 'lo');
    await expectText(bobPage, '#typing', `${alice.displayName} is typing…`);
    await alicePage.fill('#message-input', '');

    await waitForAttr(statusOf(alicePage, 'hello bob'), 'data-status', 'read');
    expect(await statusOf(alicePage, 'hello bob').textContent()).toBe('✓✓');

    await send(bobPage, 'hi alice');
    await message(alicePage, 'hi alice').waitFor();
    await expectText(bobPage, '#typing', '');

    const evil = '<img src=x onerror=alert(1)>';
    await send(alicePage, evil);
    await message(bobPage, evil).waitFor();
    expect(await message(bobPage, evil).locator('.text').textContent()).toBe(evil);
    expect(await bobPage.locator('#messages img, #chat-list img').count()).toBe(0);

    // Edit: right click opens the message's menu; the text is edited in place (no prompt()).
    await message(alicePage, 'hello bob').click({ button: 'right' });
    await alicePage.getByRole('menuitem', { name: 'Edit' }).click();
    const editor = message(alicePage, 'hello bob').locator('textarea');
    await editor.fill('hello bob (edited)');
    await editor.press('Enter');
    await message(bobPage, 'hello bob (edited)').locator('.edited').waitFor();

    // Delete: the "⋯" button, then a confirmation that is part of the page.
    await message(alicePage, evil).hover();
    await message(alicePage, evil).getByRole('button', { name: 'Message actions' }).click();
    await alicePage.getByRole('menuitem', { name: 'Delete' }).click();
    await alicePage.waitForSelector('#confirm-dialog[open]');
    await expectText(alicePage, '#confirm-title', 'Delete this message?');
    await alicePage.click('#confirm-ok');
    await message(bobPage, 'Message deleted').waitFor();
    expect(await message(bobPage, evil).count()).toBe(0);

    await bobPage.reload();
    await bobPage.waitForSelector('#app:not([hidden])');
    await openChatTitled(bobPage, alice.displayName);
    await message(bobPage, 'hello bob (edited)').waitFor();
    await expectText(bobPage, '#me-name', bob.displayName);
    await screenshot(alicePage, 'main-screen');
  });

  it('links are clickable only for http(s), safely; right-to-left text is laid out right to left', async () => {
    const alicePage = await open(a);
    const bobPage = await open(b);
    await registerInUi(alicePage, 'linker');
    const bob = await registerInUi(bobPage, 'reader');
    await openChatWith(alicePage, bob.username);
    const text = 'see https://example.com/a?b=1&c=2, or javascript:alert(1) and JavaScript://%0aalert(2)';
    await send(alicePage, text);
    await bobPage.click('#chat-list [data-testid=chat-item]:has-text("Linker")');
    const received = message(bobPage, 'see https://example.com');
    await received.waitFor();
    const links = await received.locator('a').evaluateAll((els) =>
      els.map((el) => ({
        href: el.getAttribute('href'),
        text: el.textContent,
        rel: el.getAttribute('rel'),
        target: el.getAttribute('target'),
      })),
    );
    expect(links).toEqual([
      {
        href: 'https://example.com/a?b=1&c=2',
        text: 'https://example.com/a?b=1&c=2',
        rel: 'noopener noreferrer',
        target: '_blank',
      },
    ]);
    expect(await received.locator('.text').textContent()).toBe(text);

    const hebrew = 'שלום עולם, מה שלומך?';
    await send(bobPage, hebrew);
    await send(bobPage, 'plain English');
    const rtl = message(alicePage, hebrew).locator('.text');
    await rtl.waitFor();
    const direction = (locator: ReturnType<Page['locator']>) =>
      locator.evaluate((el) => ({ dir: el.getAttribute('dir'), css: getComputedStyle(el).direction }));
    expect(await direction(rtl)).toEqual({ dir: 'auto', css: 'rtl' });
    expect(await direction(message(alicePage, 'plain English').locator('.text'))).toEqual({
      dir: 'auto',
      css: 'ltr',
    });
    await send(bobPage, 'עוד הודעה');
    const preview = alicePage.locator('#chat-list [data-testid=chat-item]:has-text("Reader") .preview');
    await expectText(
      alicePage,
      '#chat-list [data-testid=chat-item]:has-text("Reader") .preview',
      'עוד הודעה',
    );
    expect(await direction(preview)).toEqual({ dir: 'auto', css: 'rtl' });
    expect(await alicePage.getAttribute('#message-input', 'dir')).toBe('auto');
  });

  it('a group of three, created in the client, talks in real time (one of them on a phone)', async () => {
    const [p1, p2, p3] = [await open(a), await open(b), await open(a, { viewport: PHONE })];
    await registerInUi(p1, 'owner');
    const u2 = await registerInUi(p2, 'member');
    const u3 = await registerInUi(p3, 'phone');

    await p1.click('#new-group');
    await p1.fill('#group-name', 'Trio');
    for (const u of [u2, u3]) {
      await p1.fill('#group-search', u.username);
      await p1.click(`#group-search-results [data-testid=search-result]:has-text("@${u.username}")`);
    }
    await expectText(p1, '#group-selected-label', '2 people chosen');
    await p1.click('#group-save');
    await waitForHidden(p1, '#group-dialog');
    await expectText(p1, '#chat-title', 'Trio');
    await expectText(p1, '#chat-status', '3 members');

    await openChatTitled(p2, 'Trio');
    await openChatTitled(p3, 'Trio'); // phone-sized: the list gives way to the conversation
    expect(await p3.locator('#sidebar').isVisible()).toBe(false);

    await send(p3, 'hello from my phone');
    await message(p1, 'hello from my phone').waitFor();
    await message(p2, 'hello from my phone').waitFor();
    await expectText(p1, '#messages .sender', u3.displayName);
    await waitForAttr(statusOf(p3, 'hello from my phone'), 'data-status', 'read'); // both others have it on screen
    await p3.click('#back');
    expect(await p3.locator('#sidebar').isVisible()).toBe(true);
    expect(await p3.locator('#conversation').isVisible()).toBe(false);
  });
});
