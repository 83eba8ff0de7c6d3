import { RunningApp, startApp } from './support/app';
import { apiUser, launchBrowser, loginInUi, newPage, PageProxy } from './support/browser';
it('debug', async () => {
  const app: RunningApp = await startApp();
  const browser = await launchBrowser();
  const first = await startApp();
  const proxy = await PageProxy.to(first.url);
  const alice = await apiUser(first.url, 'alice', 'Alice Adams');
  const page = await newPage(browser, proxy.url);
  await loginInUi(page, alice.username, alice.password);
  const second = await startApp();
  proxy.target = { host: '127.0.0.1', port: Number(new URL(second.url).port) };
  let t = Date.now();
  await first.close();
  console.log('first closed', Date.now() - t);
  await new Promise((r) => setTimeout(r, 3000));
  await page.context().close();
  await proxy.close();
  t = Date.now();
  await second.close();
  console.log('second closed', Date.now() - t);
  const bob = await apiUser(app.url, 'bob', 'Bob');
  const p2 = await newPage(browser, app.url);
  p2.on('requestfailed', (r) => console.log('failed', r.url(), r.failure()?.errorText));
  p2.on('request', (r) => console.log('req', r.url()));
  p2.on('response', (r) => console.log('res', r.status(), r.url()));
  t = Date.now();
  await loginInUi(p2, bob.username, bob.password).catch((e) =>
    console.log('login failed', String(e).slice(0, 200)),
  );
  console.log('login', Date.now() - t);
  await browser.close();
  await app.close();
});
