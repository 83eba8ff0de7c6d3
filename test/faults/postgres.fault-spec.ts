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
import { restProber, sleep, warmLoad } from './support/scenario';
import { useFaultStack, waitForAllReady } from './support/stack';

const STATEMENT_TIMEOUT_MS = 2000;
/** A request may spend the timeout on its stalled query, plus a margin for the rest of its work. */
const ANSWER_BOUND_MS = STATEMENT_TIMEOUT_MS + 2500;
const STALL_MS = 8000;
const OUTAGE_MS = 3000;
const SETTLE_MS = 300;
const LIVE_AFTER_RECOVERY_MS = 3000;

/**
 * PostgreSQL's faults under load (senders on A, receivers on B, 100 msg/s), one after the other on one
 * stack: stopped for 3 s and started again, with a fast shutdown (transactions rolled back, sessions ended)
 * and with an immediate one (a crash: WAL recovery at the next start); then frozen. REST probes list chats
 * and send messages on A meanwhile. DB_STATEMENT_TIMEOUT_MS=2000 throughout.
 */
describe('PostgreSQL restarted or stalled mid-load', () => {
  const stackOf = useFaultStack({ apis: 2, env: { DB_STATEMENT_TIMEOUT_MS: String(STATEMENT_TIMEOUT_MS) } });

  describe.each(['fast', 'immediate'] as const)('restarted after a %s shutdown', (mode) => {
    let driver: LoadDriver;
    let stopBegan = 0;
    let stopped = 0;
    let startAt = 0;
    let recoveredAt = 0;
    let answers: ProbeResult[] = [];
    const after: ProbeResult[] = [];
    let report: StorageReport;

    beforeAll(async () => {
      const [a] = stackOf().apis;
      const prober = await restProber(stackOf(), mode.slice(0, 4));
      driver = await warmLoad(stackOf(), `p${mode[0]}`);

      const probes = new ProbeLoop(prober.targets(a), 200);
      await sleep(300);
      try {
        stopBegan = Date.now();
        await stackOf().pg.stop(mode);
        stopped = Date.now();
        await sleep(OUTAGE_MS);
      } finally {
        startAt = Date.now();
        await stackOf().pg.start();
      }
      try {
        recoveredAt = await waitForAllReady(stackOf());
      } finally {
        answers = await probes.stop();
      }
      for (const api of stackOf().apis)
        for (const target of prober.targets(api)) after.push(await probe(target));

      await driver.runFor(2500);
      await driver.finish(20_000);
      await waitForDeliveries(stackOf(), driver, Date.now() + LIVE_AFTER_RECOVERY_MS);
      report = await checkStorage(stackOf(), driver);
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

  /**
   * PostgreSQL frozen with SIGSTOP (the postmaster and every backend: connections stay open, nothing answers)
   * for 8 s under load, then SIGCONT. DB_STATEMENT_TIMEOUT_MS=2000: every request must be answered within
   * that timeout plus a margin, as a 503, never hang for the length of the stall.
   */
  describe('PostgreSQL stalled (SIGSTOP) for 8 s mid-load', () => {
    let driver: LoadDriver;
    let pauseAt = 0;
    let resumeAt = 0;
    let recoveredAt = 0;
    let answers: ProbeResult[] = [];
    const after: ProbeResult[] = [];
    let report: StorageReport;

    beforeAll(async () => {
      const stack = stackOf();
      const [a] = stack.apis;
      const prober = await restProber(stack, 'stall');
      driver = await warmLoad(stack, 'st');

      const probes = new ProbeLoop(prober.targets(a), 150);
      await sleep(300);
      pauseAt = Date.now();
      stack.pg.pause();
      try {
        await sleep(STALL_MS);
      } finally {
        resumeAt = Date.now();
        stack.pg.resume();
      }
      try {
        recoveredAt = await waitForAllReady(stack);
      } finally {
        answers = (await probes.stop()).filter((r) => r.startedAt >= pauseAt && r.startedAt <= resumeAt);
      }
      for (const api of stack.apis) for (const target of prober.targets(api)) after.push(await probe(target));

      await driver.runFor(2500);
      await driver.finish(30_000);
      await waitForDeliveries(stack, driver, Date.now() + LIVE_AFTER_RECOVERY_MS);
      report = await checkStorage(stack, driver);
    }, 150_000);
    afterAll(() => {
      printFigures('PostgreSQL SIGSTOP 8 s', {
        ...loadFigures(report, driver),
        answersDuringStall: summarize(answers),
        slowestAnswerMs: Math.max(0, ...answers.map((r) => r.endedAt - r.startedAt)),
        slowestAckMs: Math.max(
          0,
          ...(driver?.attempts ?? [])
            .filter((x) => x.sentAt >= pauseAt && x.sentAt <= resumeAt)
            .map((x) => (x.answeredAt ?? Date.now()) - x.sentAt),
        ),
      });
      driver?.close();
      stackOf.ifStarted()?.pg.resume();
    });

    it(`answers every REST request made during the stall within ${ANSWER_BOUND_MS} ms`, () => {
      expect(answers.length).toBeGreaterThan(20);
      const slow = answers
        .filter((r) => r.status === 0 || r.endedAt - r.startedAt > ANSWER_BOUND_MS)
        .map(describeProbe);
      expect(problems({ slow })).toEqual(noProblems(['slow']));
    });

    it('answers them 503 + Retry-After (a send made and finished within the stall can only be a 503)', () => {
      const wrong = answers
        .filter((r) => {
          if (r.name === 'ready') return r.status !== 503 && r.status !== 200;
          const inside = r.endedAt < resumeAt;
          if (r.name === 'send' && inside) return !isContract503(r);
          return !(r.status === 200 || r.status === 201 || isContract503(r));
        })
        .map(describeProbe);
      expect(answers.filter((r) => r.name === 'send' && r.endedAt < resumeAt).length).toBeGreaterThan(0);
      expect(problems({ wrong })).toEqual(noProblems(['wrong']));
    });

    it(`acks every socket send made during the stall within ${ANSWER_BOUND_MS} ms, with UNAVAILABLE + retryAfter`, () => {
      const during = driver.attempts.filter((x) => x.sentAt >= pauseAt && x.sentAt <= resumeAt);
      expect(during.length).toBeGreaterThan(0);
      const slow = during
        .filter(
          (x) =>
            x.answeredAt === undefined ||
            x.answeredAt - x.sentAt > ANSWER_BOUND_MS ||
            x.outcome?.kind === 'timeout',
        )
        .map(describeAttempt);
      const wrong = during
        .filter((x) => !(x.outcome?.kind === 'ok' || x.outcome?.kind === 'disconnected' || isUnavailable(x)))
        .map(describeAttempt);
      expect(problems({ slow, wrong })).toEqual(noProblems(['slow', 'wrong']));
    });

    it('recovers after SIGCONT: both instances answer again', () => {
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
