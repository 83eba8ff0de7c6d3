import { mkdirSync } from 'fs';
import { join } from 'path';
import { Browser, BrowserContext, chromium, Locator, Page } from 'playwright-core';
import { RunningApp, startApp } from './app';
import { CuttableProxy } from './cuttable-proxy';
import { Api, registerUser, TestUser, uniqueName } from './http';

// Page functions run in the browser; the project's TypeScript has no DOM library, so they see these as `any`.
declare const document: any;
declare const window: any;

/** Browser tests drive the real client in Debian's Chromium (or CHROMIUM_PATH) with playwright-core. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
];
export const ARTIFACTS = join(__dirname, '..', '..', 'test-artifacts');
export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };
const AXE = require.resolve('axe-core/axe.min.js');
const WAIT_MS = 10_000;

export async function launchBrowser(): Promise<Browser> {
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/** What went wrong inside a page: uncaught errors, console errors, and any alert/confirm/prompt it raised. */
export interface PageProblems {
  errors: string[];
  dialogs: string[];
}
const problems = new WeakMap<Page, PageProblems>();
export const problemsOf = (page: Page): PageProblems => problems.get(page)!;

/** After each test: closes every page's context, then fails if any page had an error or raised a dialog. */
/**
 * The lifecycle every browser suite shares: `apps` API instances and one Chromium before the suite (handed to
 * `started`), the pages a test opened closed after it (and then `afterEach`, if given), everything closed after.
 */
export function useBrowserSuite(options: {
  apps?: number;
  pages: Page[];
  started(apps: RunningApp[], browser: Browser): void;
  afterEach?: () => Promise<void>;
}): void {
  let apps: RunningApp[] = [];
  let browser: Browser | undefined;
  beforeAll(async () => {
    apps = await Promise.all(Array.from({ length: options.apps ?? 1 }, () => startApp()));
    browser = await launchBrowser();
    options.started(apps, browser);
  });
  afterEach(async () => {
    try {
      await closePages(options.pages);
    } finally {
      await options.afterEach?.();
    }
  });
  afterAll(async () => {
    await browser?.close();
    await Promise.all(apps.map((app) => app.close()));
  });
}

export async function closePages(pages: Page[]): Promise<void> {
  const found = pages
    .map((page) => ({ url: page.url(), ...problemsOf(page) }))
    .filter((p) => p.errors.length || p.dialogs.length);
  await Promise.all(
    pages.splice(0).map((page) =>
      page
        .context()
        .close()
        .catch(() => undefined),
    ),
  );
  expect(found).toEqual([]);
}

export interface PageOptions {
  viewport?: { width: number; height: number };
  isMobile?: boolean;
  hasTouch?: boolean;
  context?: BrowserContext;
  /** For pages that get axe-core injected: the server's CSP (rightly) refuses injected scripts. */
  bypassCSP?: boolean;
}

/** A page in its own context (its own localStorage and cookies: another device), opened at `url`. */
export async function newPage(browser: Browser, url: string, options: PageOptions = {}): Promise<Page> {
  const context =
    options.context ??
    (await browser.newContext({
      viewport: options.viewport ?? DESKTOP,
      isMobile: options.isMobile,
      hasTouch: options.hasTouch,
      locale: 'en-GB',
      timezoneId: 'UTC',
      bypassCSP: options.bypassCSP,
    }));
  const page = await context.newPage();
  // Every wait in these tests is for UI state that takes well under a second; fail in 10 s, not 30.
  page.setDefaultTimeout(WAIT_MS);
  const seen: PageProblems = { errors: [], dialogs: [] };
  problems.set(page, seen);
  page.on('pageerror', (err) => seen.errors.push(err.message));
  page.on('console', (msg) => {
    // A refused request (offline on purpose, a 4xx the test provokes) is logged by Chromium itself.
    if (msg.type() === 'error' && !/Failed to load resource|net::ERR_|WebSocket connection/.test(msg.text()))
      seen.errors.push(msg.text());
  });
  page.on('dialog', (d) => {
    seen.dialogs.push(`${d.type()}: ${d.message()}`);
    void d.dismiss();
  });
  await page.goto(url);
  return page;
}

export interface UiUser {
  username: string;
  displayName: string;
  password: string;
  email: string;
}

export const strongPassword = () => `Tr0ub4dor-${Math.random().toString(36).slice(2, 10)}`;

export async function registerInUi(page: Page, prefix: string): Promise<UiUser> {
  const username = uniqueName(prefix);
  const displayName = `${prefix[0].toUpperCase()}${prefix.slice(1)} ${username.slice(-4)}`;
  const user = { username, displayName, password: strongPassword(), email: `${username}@example.com` };
  await page.fill('#register-email', user.email);
  await page.fill('#register-username', username);
  await page.fill('#register-display-name', displayName);
  await page.fill('#register-password', user.password);
  await page.click('#register-form button[type=submit]');
  await page.waitForSelector('#app:not([hidden])');
  await page.waitForSelector('[data-testid=chat-item]');
  return user;
}

/** A user made through the API (quicker than the form), with a display name people will see. */
export function apiUser(baseUrl: string, prefix: string, displayName: string): Promise<TestUser> {
  return registerUser(new Api(baseUrl), prefix, { displayName, password: strongPassword() });
}

export async function loginInUi(page: Page, login: string, password: string): Promise<void> {
  await page.fill('#login-login', login);
  await page.fill('#login-password', password);
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('#app:not([hidden])');
  await page.waitForSelector('[data-testid=chat-item]');
}

/** Finds a person with the sidebar search and opens the chat with them (Enter opens the first result). */
export async function openChatWith(page: Page, username: string): Promise<void> {
  await page.fill('#search', username);
  await page.waitForSelector(`#search-results [data-testid=search-result]:has-text("@${username}")`);
  await page.press('#search', 'Enter');
  await page.waitForSelector('#chat-view:not([hidden])');
}

export async function openChatTitled(page: Page, title: string): Promise<void> {
  await page.click(`#chat-list [data-testid=chat-item]:has-text("${title}")`);
  await expectText(page, '#chat-title', title);
}

export async function send(page: Page, text: string): Promise<void> {
  await page.fill('#message-input', text);
  await page.press('#message-input', 'Enter');
}

export const message = (page: Page, text: string): Locator =>
  page.locator('#messages [data-testid=message]', { hasText: text });

export const statusOf = (page: Page, text: string): Locator =>
  message(page, text).locator('[data-testid=status]');

/** Polls until `read()` satisfies `ok`, failing with the last value seen. */
export async function waitUntil<T>(
  what: string,
  read: () => Promise<T>,
  ok: (value: T) => boolean,
  timeoutMs = WAIT_MS,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await read();
    if (ok(last)) return last;
    if (Date.now() > deadline)
      throw new Error(`${what}: still ${JSON.stringify(last)} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function expectText(page: Page, selector: string, expected: string | RegExp): Promise<void> {
  const locator = page.locator(selector).first();
  await waitUntil(
    `${selector} text`,
    async () => ((await locator.count()) ? ((await locator.textContent()) ?? '') : '<missing>'),
    (text) => (typeof expected === 'string' ? text === expected : expected.test(text)),
  );
}

export async function waitForAttr(locator: Locator, name: string, value: string): Promise<void> {
  await waitUntil(
    `${name} attribute`,
    () => locator.getAttribute(name),
    (v) => v === value,
  );
}

/** The message was stored by the server: ✓ (sent) or ✓✓ (read), no longer pending. */
export async function waitUntilStored(status: Locator, timeoutMs = WAIT_MS): Promise<void> {
  await waitUntil(
    'stored',
    () => status.getAttribute('data-status'),
    (s) => s === 'sent' || s === 'read',
    timeoutMs,
  );
}

export async function waitForHidden(page: Page, selector: string): Promise<void> {
  await page.waitForSelector(selector, { state: 'hidden', timeout: WAIT_MS });
}

/** axe-core's serious and critical violations on the page as it is now (or inside `include`). */
export async function seriousA11yViolations(page: Page, include?: string): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async (selector) => {
    const axe = window.axe;
    const result = await axe.run(selector ? { include: [selector] } : document, {
      resultTypes: ['violations'],
    });
    return result.violations.map((v: any) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n: any) => n.target.join(' ')).slice(0, 5),
    }));
  }, include ?? null);
  return violations
    .filter((v: { impact: string }) => v.impact === 'serious' || v.impact === 'critical')
    .map((v: any) => `${v.impact} ${v.id} (${v.help}): ${v.nodes.join(', ')}`);
}

export async function screenshot(page: Page, name: string): Promise<string> {
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path });
  return path;
}

/** The page's connection can be cut: every request and the socket go through this relay. */
export { CuttableProxy as PageProxy };

/** Takes a page off the network and back: the relay is cut and the browser reports offline. */
export async function goOffline(page: Page, proxy: CuttableProxy): Promise<void> {
  await proxy.cut();
  await page.context().setOffline(true);
}

export async function goOnline(page: Page, proxy: CuttableProxy): Promise<void> {
  await proxy.open();
  await page.context().setOffline(false);
}

/** The texts of messages in a chat, oldest first, as the server stores them. */
export async function historyTexts(user: { api: Api }, chatId: string): Promise<(string | null)[]> {
  const res = await user.api.get(`/history/${chatId}?limit=100`);
  return (res.body.items as { text: string | null }[]).map((m) => m.text);
}

/** The id of the chat with this title in the page's chat list. */
export async function chatIdOf(page: Page, title: string): Promise<string> {
  const id = await page
    .locator(`#chat-list [data-testid=chat-item]:has-text("${title}")`)
    .first()
    .getAttribute('data-chat-id');
  if (!id) throw new Error(`no chat titled ${title}`);
  return id;
}
