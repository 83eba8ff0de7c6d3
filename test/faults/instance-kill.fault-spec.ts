import {
  checkStorage,
  expectLiveDelivery,
  expectStorageGuarantees,
  loadFigures,
  printFigures,
  StorageReport,
  waitForDeliveries,
} from './support/guarantees';
import { LoadDriver } from './support/load-driver';
import { FaultStack } from './support/stack';

const LIVE_BOUND_MS = 2000;

/**
 * Senders on A, receivers on B, 150 msg/s over 20 pairs; A gets SIGKILL. The senders reconnect to B and
 * resend what A never acknowledged with the same clientMsgIds. The scenario runs once; each test checks one
 * promise of the contract against what happened.
 */
describe('an API instance killed with SIGKILL mid-load', () => {
  let stack: FaultStack | undefined;
  let driver: LoadDriver;
  let killedAt = 0;
  let report: StorageReport;

  beforeAll(async () => {
    stack = await FaultStack.start({ apis: 2 });
    const [a, b] = stack.apis;
    const pairs = await stack.pairs(20, 'k');
    driver = new LoadDriver({
      pairs,
      senderUrls: [a.url, b.url],
      receiverUrls: [b.url],
      rate: 150,
      tag: 'kill',
    });
    await driver.connect();
    await driver.runFor(3000);
    killedAt = Date.now();
    await a.proc.kill();
    await driver.runFor(3000);
    await driver.finish(20_000);
    await waitForDeliveries(stack, driver, Date.now() + LIVE_BOUND_MS + 1000);
    report = await checkStorage(stack, driver);
  }, 120_000);
  afterAll(async () => {
    printFigures('SIGKILL instance', loadFigures(report, driver));
    driver?.close();
    await stack?.close();
  }, 60_000);

  it('hit a loaded instance, and the senders carried on through B', () => {
    const [a, b] = stack!.apis;
    expect(driver.attempts.filter((x) => x.url === a.url && x.sentAt < killedAt).length).toBeGreaterThan(100);
    expect(driver.attempts.filter((x) => x.url === b.url && x.outcome?.kind === 'ok').length).toBeGreaterThan(
      100,
    );
  });

  it('loses nothing, stores nothing twice, leaves no seq gap; every ack names a stored row', () => {
    expectStorageGuarantees(report);
  });

  it('delivers every message live: what A committed before dying reaches the receivers on B within 2 s', () => {
    // Committed before the kill: by kill + 2 s. Committed after (on B): within 2 s of the commit.
    expectLiveDelivery(report, driver, (m) => Math.max(m.createdAt, killedAt) + LIVE_BOUND_MS);
  });
});
