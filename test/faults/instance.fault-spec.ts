import {
  checkStorage,
  createdAtInversions,
  expectLiveDelivery,
  expectStorageGuarantees,
  loadFigures,
  noProblems,
  printFigures,
  problems,
  StorageReport,
  waitForDeliveries,
} from './support/guarantees';
import { Attempt, describeAttempt, isUnavailable, LoadDriver } from './support/load-driver';
import { Exit } from './support/managed-process';
import { describeProbe, ProbeLoop, ProbeResult, summarize } from './support/probes';
import { sleep, warmLoad, within } from './support/scenario';
import { useFaultStack } from './support/stack';

const LIVE_BOUND_MS = 2000;
const DRAIN_MS = 5000;
const EXIT_MARGIN_MS = 3000;

/**
 * Two API instances; senders connect to A, receivers to B; 150 msg/s over 20 pairs. A dies (SIGKILL), then
 * (restarted) is stopped gracefully (SIGTERM, SHUTDOWN_DRAIN_MS=5000). Senders behave like the web client:
 * they reconnect to B and resend what A never acknowledged with the same clientMsgIds. Each scenario runs
 * once in its beforeAll; each test checks one promise of the contract against what happened.
 */
describe('an API instance going away mid-load', () => {
  const stackOf = useFaultStack({ apis: 2, env: { SHUTDOWN_DRAIN_MS: String(DRAIN_MS) } });

  const loadOn = async (tag: string) => {
    const [a] = stackOf().apis;
    if (!a.proc.running) await stackOf().startApi(a.name);
    return warmLoad(stackOf(), tag, { rate: 150 });
  };

  describe('killed with SIGKILL', () => {
    let driver: LoadDriver;
    let killedAt = 0;
    let report: StorageReport;

    beforeAll(async () => {
      driver = await loadOn('kill');
      killedAt = Date.now();
      await stackOf().apis[0].proc.kill();
      await driver.runFor(2500);
      await driver.finish(20_000);
      await waitForDeliveries(stackOf(), driver, Date.now() + LIVE_BOUND_MS + 1000);
      report = await checkStorage(stackOf(), driver);
    }, 120_000);
    afterAll(() => {
      printFigures('SIGKILL instance', loadFigures(report, driver));
      driver?.close();
    });

    it('hit a loaded instance, and the senders carried on through B', () => {
      const [a, b] = stackOf().apis;
      expect(driver.attempts.filter((x) => x.url === a.url && x.sentAt < killedAt).length).toBeGreaterThan(
        100,
      );
      expect(
        driver.attempts.filter((x) => x.url === b.url && x.outcome?.kind === 'ok').length,
      ).toBeGreaterThan(100);
    });

    it('loses nothing, stores nothing twice, leaves no seq gap; every ack names a stored row', () => {
      expectStorageGuarantees(report);
    });

    it('gives createdAt in seq order: it never decreases as seq increases within a chat', () => {
      expect(problems({ inversions: createdAtInversions(report) })).toEqual(noProblems(['inversions']));
    });

    it('delivers every message live: what A committed before dying reaches the receivers on B within 2 s', () => {
      // Committed before the kill: by kill + 2 s. Committed after (on B): within 2 s of the commit.
      expectLiveDelivery(report, driver, (m) => Math.max(m.createdAt, killedAt) + LIVE_BOUND_MS);
    });
  });

  describe('stopped with SIGTERM (graceful drain)', () => {
    let driver: LoadDriver;
    let termAt = 0;
    let exit: Exit | 'timeout';
    let readiness: ProbeResult[];
    let report: StorageReport;
    const a = () => stackOf().apis[0];

    beforeAll(async () => {
      driver = await loadOn('term');
      const probes = new ProbeLoop([{ name: 'ready', url: `${a().url}/api/health/ready` }], 25);
      try {
        await sleep(200);
        termAt = Date.now();
        a().proc.signal('SIGTERM');
        exit = await within(a().proc.exited, DRAIN_MS + EXIT_MARGIN_MS);
      } finally {
        readiness = (await probes.stop()).filter((r) => r.startedAt > termAt + 100);
      }
      await driver.runFor(2000);
      await driver.finish(20_000);
      await waitForDeliveries(stackOf(), driver, Date.now() + LIVE_BOUND_MS + 1000);
      report = await checkStorage(stackOf(), driver);
    }, 120_000);
    afterAll(() => {
      printFigures('SIGTERM instance', {
        ...loadFigures(report, driver),
        exitAfterMs: exit && exit !== 'timeout' ? exit.at - termAt : exit,
        readiness: readiness && summarize(readiness),
      });
      driver?.close();
    });

    it('exits by itself within SHUTDOWN_DRAIN_MS (+3 s), by the signal or with 0, not a crash', () => {
      expect(exit).not.toBe('timeout');
      if (exit === 'timeout') return;
      expect(exit.at - termAt).toBeLessThanOrEqual(DRAIN_MS + EXIT_MARGIN_MS);
      expect(exit.code === 0 || exit.signal === 'SIGTERM').toBe(true);
    });

    it('answers readiness with 503 during the drain, never 200 again', () => {
      expect({
        ...problems({ ok200: readiness.filter((r) => r.status === 200).map(describeProbe) }),
        saw503: readiness.some((r) => r.status === 503),
      }).toEqual({ ...noProblems(['ok200']), saw503: true });
    });

    it('sends server:shutdown { reconnectAfterMs } to every socket before closing it', () => {
      // Only the senders whose socket was on A when it got SIGTERM (after the SIGKILL run some may have
      // stayed on B): their last connect/disconnect on A before the signal was a connect.
      const onA = [...driver.senders.keys()].filter((id) => {
        const before = driver.events.filter(
          (e) =>
            e.user === id &&
            e.url === a().url &&
            e.at < termAt &&
            (e.type === 'connect' || e.type === 'disconnect'),
        );
        return before.length > 0 && before[before.length - 1].type === 'connect';
      });
      expect(onA.length).toBeGreaterThan(0);
      const notWarned = onA.filter((id) => {
        const mine = driver.events.filter((e) => e.user === id && e.url === a().url && e.at >= termAt);
        const warned = mine.find((e) => e.type === 'server:shutdown');
        const closed = mine.find((e) => e.type === 'disconnect');
        return (
          !warned ||
          typeof (warned.detail as any)?.reconnectAfterMs !== 'number' ||
          (closed && closed.at < warned.at)
        );
      });
      expect({ sendersNotWarned: notWarned.length }).toEqual({ sendersNotWarned: 0 });
    });

    it('gives every send in flight or arriving during the drain its ack, UNAVAILABLE + retryAfter, or a disconnect', () => {
      const clean = (x: Attempt) =>
        x.outcome?.kind === 'ok' || x.outcome?.kind === 'disconnected' || isUnavailable(x);
      const affected = driver.attempts.filter(
        (x) => x.url === a().url && (x.answeredAt ?? Infinity) >= termAt,
      );
      expect(affected.length).toBeGreaterThan(0);
      expect(problems({ unclean: affected.filter((x) => !clean(x)).map(describeAttempt) })).toEqual(
        noProblems(['unclean']),
      );
    });

    it('loses nothing, stores nothing twice, leaves no seq gap; every ack names a stored row', () => {
      expectStorageGuarantees(report);
    });

    it('broadcasts every committed message: the receivers on B get all of it live', () => {
      expectLiveDelivery(report, driver, (m) => Math.max(m.createdAt, termAt) + LIVE_BOUND_MS);
    });
  });
});
