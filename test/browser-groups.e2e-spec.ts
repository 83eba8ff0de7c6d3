import { Browser, Page } from 'playwright-core';
import { RunningApp } from './support/app';
import {
  apiUser,
  expectText,
  loginInUi,
  newPage,
  openChatTitled,
  waitForHidden,
  waitUntil,
  useBrowserSuite,
} from './support/browser';
import { TestUser } from './support/http';

describe('web client in real Chromium: groups (two API instances)', () => {
  let a: RunningApp;
  let b: RunningApp;
  let browser: Browser;
  const pages: Page[] = [];
  const open = async (app: RunningApp, user: TestUser) => {
    const page = await newPage(browser, app.url);
    pages.push(page);
    await loginInUi(page, user.username, user.password);
    return page;
  };
  const member = (page: Page, name: string) =>
    page.locator('#info-members [data-testid=member]', { hasText: name });

  useBrowserSuite({
    apps: 2,
    pages,
    started: ([x, y], chromium) => ((a = x), (b = y), (browser = chromium)),
  });

  it('the info panel: rename seen live by others, roles, add and remove, live member count, leaving', async () => {
    const [owner, mia, max, zoe] = await Promise.all([
      apiUser(a.url, 'olga', 'Olga Owner'),
      apiUser(a.url, 'mia', 'Mia Member'),
      apiUser(a.url, 'max', 'Max Member'),
      apiUser(a.url, 'zoe', 'Zoe Newcomer'),
    ]);
    const group = (await owner.api.post('/groups', { name: 'Book club', memberIds: [mia.id, max.id] })).body;
    const [ownerPage, miaPage, maxPage] = [await open(a, owner), await open(b, mia), await open(a, max)];
    for (const page of [ownerPage, miaPage, maxPage]) await openChatTitled(page, 'Book club');
    await expectText(miaPage, '#chat-status', '3 members');

    await ownerPage.click('#chat-info');
    await ownerPage.waitForSelector('#info-dialog[open]');
    await expectText(ownerPage, '#info-sub', '3 members');
    await expectText(ownerPage, '#info-members [data-testid=member]:first-child .role', 'Owner');
    await expectText(ownerPage, `#info-members [data-user-id="${mia.id}"] .role`, 'Member');

    // Rename: the other members' headers and chat lists follow at once.
    await ownerPage.fill('#rename-input', 'Reading circle');
    await ownerPage.click('#rename-save');
    await expectText(miaPage, '#chat-title', 'Reading circle');
    await expectText(maxPage, `#chat-list [data-chat-id="${group.chatId}"] .title`, 'Reading circle');
    await expectText(ownerPage, '#info-title', 'Reading circle');

    // Roles: Mia becomes an admin and sees she may now add people.
    await member(ownerPage, 'Mia Member').getByRole('button', { name: 'Make admin: Mia Member' }).click();
    await expectText(ownerPage, `#info-members [data-user-id="${mia.id}"] .role`, 'Admin');
    await miaPage.click('#chat-info');
    await expectText(miaPage, `#info-members [data-user-id="${mia.id}"] .role`, 'Admin');
    expect(await miaPage.isVisible('#info-add-search')).toBe(true);
    await maxPage.click('#chat-info');
    await member(maxPage, 'Mia Member').waitFor();
    expect(await maxPage.isVisible('#info-add-search')).toBe(false);
    expect(await maxPage.isVisible('#rename-form')).toBe(false);
    expect(await member(maxPage, 'Olga Owner').getByRole('button').count()).toBe(0);
    await maxPage.keyboard.press('Escape');

    // Mia adds Zoe; everyone's count moves.
    await miaPage.fill('#info-add-search', zoe.username);
    await miaPage.click(`#info-add-results [data-user-id="${zoe.id}"]`);
    await expectText(miaPage, '#info-sub', '4 members');
    await expectText(maxPage, '#chat-status', '4 members');
    await member(miaPage, 'Zoe Newcomer').waitFor();
    await miaPage.keyboard.press('Escape');

    // The owner removes Max, after a confirmation in the page; Max is told, not left with a blank pane.
    await member(ownerPage, 'Max Member').getByRole('button', { name: 'Remove' }).click();
    await expectText(ownerPage, '#confirm-title', 'Remove Max Member?');
    await ownerPage.click('#confirm-ok');
    await expectText(maxPage, '#notice-text', /^You were removed from “Reading circle”\./);
    expect(await maxPage.isVisible('#chat-view')).toBe(false);
    expect(await maxPage.locator(`#chat-list [data-chat-id="${group.chatId}"]`).count()).toBe(0);
    await expectText(miaPage, '#chat-status', '3 members');
    await maxPage.click('#notice-back');
    await maxPage.waitForSelector('#no-chat:not([hidden])');

    // Zoe is in another chat when she is removed: the group leaves her list, and a passing word says why.
    const zoePage = await open(b, zoe);
    await openChatTitled(zoePage, 'Saved messages');
    await zoePage.waitForSelector(`#chat-list [data-chat-id="${group.chatId}"]`);
    await owner.api.delete(`/groups/${group.id}/members/${zoe.id}`);
    await expectText(zoePage, '#toast', 'You were removed from “Reading circle”.');
    expect(await zoePage.locator(`#chat-list [data-chat-id="${group.chatId}"]`).count()).toBe(0);
    await expectText(zoePage, '#chat-title', 'Saved messages'); // the open chat stays open
    await waitForHidden(zoePage, '#toast');
    await expectText(miaPage, '#chat-status', '2 members');

    // Mia leaves.
    await miaPage.click('#chat-info');
    await miaPage.click('#group-leave');
    await expectText(miaPage, '#confirm-title', 'Leave “Reading circle”?');
    await expectText(miaPage, '#confirm-text', /^You will no longer see its messages/);
    await miaPage.click('#confirm-ok');
    await expectText(miaPage, '#notice-text', 'You left “Reading circle”.');
    await waitForHidden(miaPage, '#info-dialog');
    await expectText(ownerPage, '#info-sub', '1 member');
    await waitUntil(
      'members listed',
      () => ownerPage.locator('#info-members [data-testid=member]').count(),
      (n) => n === 1,
    );
  });
});
