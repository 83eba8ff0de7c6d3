import {
  checkStorage,
  expectLiveDelivery,
  expectStorageGuarantees,
  loadFigures,
  noProblems,
  printFigures,
  problems,
  StorageReport,
  waitForDeliveries,
} from './support/guarantees';
import { describeAttempt, isUnavailable, LoadDriver } from './support/load-driver';
import { describeProbe, isContract503, probe, ProbeLoop, ProbeResult, summarize } from './support/probes';
import { restProber, sleep } from './support/scenario';
import { FaultStack, waitForAllReady } from './support/stack';

const OUTAGE_MS = 3000;
const SETTLE_MS = 300;
const LIVE_AFTER_RECOVERY_MS = 3000;

/**
 * PostgreSQL stopped under load (senders on A, receivers on B, 100 msg/s) for 3 s and started again: once
 * with a fast shutdown (transactions rolled back, sessions ended), once immediate (a crash: WAL recovery at
 * the next start). REST probes list chats and send messages on A meanwhile.
 */
describe('PostgreSQL restarted mid-load', () => {
  let stack: FaultStack | undefined;

  beforeAll(async () => {
    stack = await FaultStack.start({ apis: 2 });
  }, 90_000);
  afterAll(async () => {
    await stack?.close();
  }, 60_000);

  describe.each(['fast', 'immediate'] as const)('with a %s shutdown', (mode) => {
    let driver: LoadDriver;
    let stopBegan = 0;
    let stopped = 0;
    let startAt = 0;
    let recoveredAt = 0;
    let answers: ProbeResult[] = [];
    const after: ProbeResult[] = [];
    let report: StorageReport;

    beforeAll(async () => {
      const [a, b] = stack!.apis;
      const prober = await restProber(stack!, mode.slice(0, 4));
      const pairs = await stack!.pairs(20, `p${mode[0]}`);
      driver = new LoadDriver({
        pairs,
        senderUrls: [a.url, b.url],
        receiverUrls: [b.url],
        rate: 100,
        tag: `pg${mode}`,
      });
      await driver.connect();
      await driver.runFor(2500);

      const probes = new ProbeLoop(prober.targets(a), 200);
      await sleep(300);
      stopBegan = Date.now();
      await stack!.pg.stop(mode);
      stopped = Date.now();
      await sleep(OUTAGE_MS);
      startAt = Date.now();
      await stack!.pg.start();
      recoveredAt = await waitForAllReady(stack!);
      answers = await probes.stop();
      for (const api of stack!.apis)
        for (const target of prober.targets(api)) after.push(await probe(target));

      await driver.runFor(2500);
      await driver.finish(20_000);
      await waitForDeliveries(stack!, driver, Date.now() + LIVE_AFTER_RECOVERY_MS);
      report = await checkStorage(stack!, driver);
    }, 120_000);
    afterAll(() => {
      printFigures(`PostgreSQL ${mode} restart`, {
        ...loadFigures(report, driver),
        answersWhileDown: summarize(answers.filter((r) => r.startedAt >= stopped && r.startedAt <= startAt)),
        recoveredAfterStartMs: recoveredAt - startAt,
      });
      driver?.close();
    });

    it('answers REST 503 + Retry-After while PostgreSQL is down, never 500', () => {
      const down = answers.filter((r) => r.startedAt >= stopped + SETTLE_MS && r.endedAt <= startAt);
      const sends = down.filter((r) => r.name === 'send');
      expect(sends.length).toBeGreaterThan(3);
      // A send needs PostgreSQL: all 503. Listing chats or readiness may come from elsewhere; never a 500.
      const wrong = [
        ...sends.filter((r) => !isContract503(r)),
        ...down.filter((r) => r.name === 'chats' && r.status !== 200 && !isContract503(r)),
        ...down.filter((r) => r.name === 'ready' && r.status !== 503),
      ].map(describeProbe);
      // From the moment the stop began (requests caught mid-transaction too): only successes or 503s.
      const around = answers.filter((r) => r.endedAt >= stopBegan && r.startedAt <= recoveredAt);
      const errors = around
        .filter((r) => r.status >= 400 && !isContract503(r) && r.name !== 'ready')
        .map(describeProbe);
      expect(problems({ wrong, errors })).toEqual(noProblems(['wrong', 'errors']));
    });

    it('acks sends UNAVAILABLE + retryAfter during the outage, never another error', () => {
      const during = driver.attempts.filter(
        (x) => x.answeredAt !== undefined && x.answeredAt >= stopBegan && x.answeredAt <= recoveredAt,
      );
      expect(during.length).toBeGreaterThan(0);
      const wrong = during
        .filter((x) => !(x.outcome?.kind === 'ok' || isUnavailable(x)))
        .map(describeAttempt);
      expect(problems({ wrong })).toEqual(noProblems(['wrong']));
    });

    it('works again on both instances once PostgreSQL is back', () => {
      expect(after.filter((r) => r.status !== 200 && r.status !== 201).map(describeProbe)).toEqual([]);
    });

    it('loses nothing, stores nothing twice, leaves no seq gap; every ack names a stored row', () => {
      expectStorageGuarantees(report);
    });

    it('delivers every stored message live to the receivers, within 3 s of the recovery', () => {
      expectLiveDelivery(report, driver, (m) => Math.max(m.createdAt, recoveredAt) + LIVE_AFTER_RECOVERY_MS);
    });
  });
});
