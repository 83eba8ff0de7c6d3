import {
  checkStorage,
  expectLiveDelivery,
  expectStorageGuarantees,
  loadFigures,
  printFigures,
  noProblems,
  problems,
  StorageReport,
  waitForDeliveries,
} from './support/guarantees';
import { Attempt, describeAttempt, isUnavailable, LoadDriver } from './support/load-driver';
import { Exit } from './support/managed-process';
import { describeProbe, ProbeLoop, ProbeResult, summarize } from './support/probes';
import { FaultStack } from './support/stack';

const DRAIN_MS = 5000;
const EXIT_MARGIN_MS = 3000;
const LIVE_BOUND_MS = 2000;

/**
 * Senders on A, receivers on B, 150 msg/s over 20 pairs; A gets SIGTERM with SHUTDOWN_DRAIN_MS=5000 while
 * its readiness is polled every 25 ms. The scenario runs once; each test checks one promise.
 */
describe('an API instance stopped with SIGTERM mid-load (graceful drain)', () => {
  let stack: FaultStack | undefined;
  let driver: LoadDriver;
  let termAt = 0;
  let exit: Exit | 'timeout';
  let readiness: ProbeResult[];
  let report: StorageReport;
  const a = () => stack!.apis[0];

  beforeAll(async () => {
    stack = await FaultStack.start({ apis: 2, env: { SHUTDOWN_DRAIN_MS: String(DRAIN_MS) } });
    const [a, b] = stack.apis;
    const pairs = await stack.pairs(20, 't');
    driver = new LoadDriver({
      pairs,
      senderUrls: [a.url, b.url],
      receiverUrls: [b.url],
      rate: 150,
      tag: 'term',
    });
    await driver.connect();
    await driver.runFor(3000);

    const probes = new ProbeLoop([{ name: 'ready', url: `${a.url}/api/health/ready` }], 25);
    await new Promise((r) => setTimeout(r, 200));
    termAt = Date.now();
    a.proc.signal('SIGTERM');
    exit = await Promise.race([
      a.proc.exited,
      new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), DRAIN_MS + EXIT_MARGIN_MS)),
    ]);
    readiness = (await probes.stop()).filter((r) => r.startedAt > termAt + 100);
    await driver.runFor(2000);
    await driver.finish(20_000);
    await waitForDeliveries(stack, driver, Date.now() + LIVE_BOUND_MS + 1000);
    report = await checkStorage(stack, driver);
  }, 120_000);
  afterAll(async () => {
    printFigures('SIGTERM instance', {
      ...loadFigures(report, driver),
      exitAfterMs: exit && exit !== 'timeout' ? exit.at - termAt : exit,
      readiness: readiness && summarize(readiness),
    });
    driver?.close();
    await stack?.close();
  }, 60_000);

  it('exits by itself within SHUTDOWN_DRAIN_MS (+3 s), by the signal or with 0, not a crash', () => {
    expect(exit).not.toBe('timeout');
    if (exit === 'timeout') return;
    expect(exit.at - termAt).toBeLessThanOrEqual(DRAIN_MS + EXIT_MARGIN_MS);
    expect(exit.code === 0 || exit.signal === 'SIGTERM').toBe(true);
  });

  it('answers readiness with 503 during the drain, never 200 again', () => {
    expect({
      ok200: readiness.filter((r) => r.status === 200).map(describeProbe),
      saw503: readiness.some((r) => r.status === 503),
    }).toEqual({ ok200: [], saw503: true });
  });

  it('sends server:shutdown { reconnectAfterMs } to every socket before closing it', () => {
    const notWarned = [...driver.senders.keys()].filter((id) => {
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
    const affected = driver.attempts.filter((x) => x.url === a().url && (x.answeredAt ?? Infinity) >= termAt);
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
