import { REDIS_COMMAND_TIMEOUT_MS } from '../../src/redis/redis.module';
import { SLOW_WRITE_MS } from '../../src/messages/delivery-outbox';
import { TestUser } from '../support/http';
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
import {
  ConnectResult,
  describeProbe,
  isContract503,
  probe,
  ProbeLoop,
  ProbeResult,
  summarize,
  tryConnect,
} from './support/probes';
import { sleep, warmLoad } from './support/scenario';
import { useFaultStack, waitForAllReady } from './support/stack';

const OUTAGE_MS = 3500;
/** ioredis notices a dead connection at once; give in-flight requests this long to settle into the outage. */
const SETTLE_MS = 300;
const LIVE_AFTER_RECOVERY_MS = 3000;
const LINK_RETRY_MS = 10_000;

/** A token with a wrong signature: refused by the signature check, which needs no Redis. */
function tamper(token: string): string {
  const [header, payload, signature] = token.split('.');
  const i = Math.floor(signature.length / 2);
  return `${header}.${payload}.${signature.slice(0, i)}${signature[i] === 'A' ? 'B' : 'A'}${signature.slice(i + 1)}`;
}

/**
 * Redis killed (SIGKILL) under load for 3.5 s and restarted on the same port, once without persistence
 * (everything in Redis is gone afterwards: sessions, the bot's username) and once with AOF (it all survives).
 * Two API instances (senders on A, receivers on B), the worker with the Telegram bot on a fake Bot API.
 */
describe('Redis killed and restarted mid-load', () => {
  const stackOf = useFaultStack({ apis: 2, worker: true, telegram: true, redisAof: false });

  describe.each([
    { aof: false, label: 'AOF off: restarts empty' },
    { aof: true, label: 'AOF on: restarts with its data' },
  ])('$label', ({ aof }) => {
    let driver: LoadDriver;
    let workerName = '';
    let alice: TestUser;
    let killAt = 0;
    let restartAt = 0;
    let recoveredAt = 0;
    let outage: ProbeResult[] = [];
    let tamperedAnswers: ProbeResult[] = [];
    let newSocket: ConnectResult;
    let tamperedSocket: ConnectResult;
    const after: Record<string, ProbeResult> = {};
    let socketAfter: ConnectResult;
    let link: { result: ProbeResult; afterMs: number };
    let report: StorageReport;

    beforeAll(async () => {
      const stack = stackOf();
      if (stack.redis.aof !== aof) {
        // Switching persistence restarts Redis empty: start a worker that publishes what it needs afresh.
        await stack.redis.reconfigure({ aof });
        await waitForAllReady(stack);
        await stack.worker?.kill();
        await stack.startWorker();
      }
      workerName = stack.worker!.name;
      const [a, b] = stack.apis;
      alice = await stack.register('alice');
      const tampered = tamper(alice.accessToken);
      const linkBefore = await alice.api.post('/telegram/link');
      if (linkBefore.status !== 201)
        throw new Error(`linking does not work even before the fault: ${linkBefore.status}`);
      driver = await warmLoad(stack, aof ? 'ra' : 'rn');

      const token = alice.accessToken;
      const probes = new ProbeLoop(
        [
          { name: 'me', url: `${a.url}/api/users/me`, token: () => token },
          { name: 'tampered', url: `${a.url}/api/users/me`, token: () => tampered },
          {
            name: 'login',
            method: 'POST',
            url: `${a.url}/api/auth/login`,
            body: () => ({ login: alice.username, password: alice.password }),
          },
        ],
        200,
      );
      let results: ProbeResult[] = [];
      try {
        await sleep(300);
        killAt = Date.now();
        await stack.redis.kill();
        await sleep(700);
        [newSocket, tamperedSocket] = await Promise.all([
          tryConnect(a.url, token, 5000),
          tryConnect(b.url, tampered, 5000),
        ]);
        await sleep(killAt + OUTAGE_MS - Date.now());
      } finally {
        restartAt = Date.now();
        await stack.redis.restart();
      }
      try {
        recoveredAt = await waitForAllReady(stack);
      } finally {
        results = await probes.stop();
      }
      outage = results.filter((r) => r.startedAt >= killAt + SETTLE_MS && r.endedAt <= restartAt);
      tamperedAnswers = results.filter((r) => r.name === 'tampered');

      after.oldToken = await probe({ name: 'me', url: `${a.url}/api/users/me`, token: () => token });
      after.login = await probe({
        name: 'login',
        method: 'POST',
        url: `${a.url}/api/auth/login`,
        body: () => ({ login: alice.username, password: alice.password }),
      });
      const fresh = after.login.status === 200 ? (after.login.body.accessToken as string) : token;
      after.newToken = await probe({ name: 'me', url: `${b.url}/api/users/me`, token: () => fresh });
      socketAfter = await tryConnect(a.url, fresh, 5000);
      const linkStarted = Date.now();
      for (;;) {
        const result = await probe({
          name: 'link',
          method: 'POST',
          url: `${a.url}/api/telegram/link`,
          token: () => fresh,
        });
        link = { result, afterMs: Date.now() - linkStarted };
        if (result.status === 201 || Date.now() - linkStarted > LINK_RETRY_MS) break;
        await sleep(500);
      }

      await driver.runFor(2500);
      await driver.finish(20_000);
      await waitForDeliveries(stack, driver, Date.now() + LIVE_AFTER_RECOVERY_MS);
      report = await checkStorage(stack, driver);
    }, 150_000);
    afterAll(() => {
      printFigures(`Redis restart, AOF ${aof ? 'on' : 'off'}`, {
        ...loadFigures(report, driver),
        outageAnswers: summarize(outage),
        newSocket,
        recoveredAfterRestartMs: recoveredAt - restartAt,
        link: link && { status: link.result.status, code: link.result.body?.code, afterMs: link.afterMs },
      });
      driver?.close();
    });

    it('answers REST with a valid token 503 + Retry-After while Redis is down, never 401 or 500', () => {
      const me = outage.filter((r) => r.name === 'me');
      expect(me.length).toBeGreaterThan(3);
      const wrong = me.filter((r) => r.status !== 200 && !isContract503(r)).map(describeProbe);
      expect(problems({ wrong })).toEqual(noProblems(['wrong']));
    });

    it('still answers a tampered token 401 with Redis down (REST and socket)', () => {
      expect(tamperedAnswers.length).toBeGreaterThan(3);
      expect(
        problems({ not401: tamperedAnswers.filter((r) => r.status !== 401).map(describeProbe) }),
      ).toEqual(noProblems(['not401']));
      expect(tamperedSocket).toMatchObject({ connected: false, code: 'UNAUTHORIZED' });
    });

    it('answers login 503 + Retry-After while Redis is down, not 500', () => {
      const login = outage.filter((r) => r.name === 'login');
      expect(login.length).toBeGreaterThan(3);
      expect(problems({ wrong: login.filter((r) => !isContract503(r)).map(describeProbe) })).toEqual(
        noProblems(['wrong']),
      );
    });

    it('refuses a new socket with connect_error data.code UNAVAILABLE, not UNAUTHORIZED', () => {
      expect(newSocket).toMatchObject({ connected: false, code: 'UNAVAILABLE' });
    });

    it('acks sends during the outage with UNAVAILABLE + retryAfter, or succeeds; never another error', () => {
      const during = driver.attempts.filter(
        (x) => x.answeredAt !== undefined && x.answeredAt >= killAt + SETTLE_MS && x.answeredAt <= restartAt,
      );
      expect(during.length).toBeGreaterThan(0);
      const wrong = during
        .filter((x) => !(x.outcome?.kind === 'ok' || isUnavailable(x)))
        .map(describeAttempt);
      expect(problems({ wrong })).toEqual(noProblems(['wrong']));
    });

    it(`works again after Redis returns; the old session is ${aof ? 'kept (200)' : 'gone (401)'}`, () => {
      expect(after.oldToken.status).toBe(aof ? 200 : 401);
      expect(after.login.status).toBe(200);
      expect(after.newToken.status).toBe(200);
      expect(socketAfter).toEqual({ connected: true });
    });

    it('links Telegram again (POST /telegram/link 201) without restarting the worker', () => {
      expect({ status: link.result.status, body: link.result.body }).toMatchObject({ status: 201 });
      expect(stackOf().worker?.running).toBe(true);
      expect(stackOf().worker?.name).toBe(workerName);
    });

    it('loses nothing, stores nothing twice, leaves no seq gap; every ack names a stored row', () => {
      expectStorageGuarantees(report);
    });

    it('delivers every stored message live to the receivers, within 3 s of the recovery', () => {
      expectLiveDelivery(report, driver, (m) => Math.max(m.createdAt, recoveredAt) + LIVE_AFTER_RECOVERY_MS);
    });
  });
  /**
   * Redis frozen with SIGSTOP for 6 s under load, then SIGCONT: its connections stay "ready" and nothing
   * answers. While writes of the delivery outbox go unanswered, send batches must stop committing beside them
   * (DeliveryOutbox.answering): a send made well into the stall is answered UNAVAILABLE, never stored, so that
   * nothing committed rests on an instance alone for the length of a stall.
   */
  describe('Redis stalled (SIGSTOP) for 6 s mid-load', () => {
    const STALL_MS = 6000;
    let driver: LoadDriver;
    let pauseAt = 0;
    let resumeAt = 0;
    let recoveredAt = 0;
    let report: StorageReport;

    beforeAll(async () => {
      const stack = stackOf();
      driver = await warmLoad(stack, 'rs');
      pauseAt = Date.now();
      stack.redis.pause();
      try {
        await sleep(STALL_MS);
      } finally {
        resumeAt = Date.now();
        stack.redis.resume();
      }
      recoveredAt = await waitForAllReady(stack);
      await driver.runFor(2500);
      await driver.finish(20_000);
      await waitForDeliveries(stack, driver, Date.now() + LIVE_AFTER_RECOVERY_MS);
      report = await checkStorage(stack, driver);
    }, 150_000);
    afterAll(() => {
      stackOf.ifStarted()?.redis.resume();
      printFigures('Redis SIGSTOP 6 s', {
        ...loadFigures(report, driver),
        recoveredAfterResumeMs: recoveredAt - resumeAt,
      });
      driver?.close();
    });

    it('stores no send made once outbox writes had gone unanswered for a while (answered before the stall ended)', () => {
      // Sent after the first writes had waited SLOW_WRITE_MS (with a margin for batches already on their way),
      // and answered while Redis was still stopped: those waited for Redis and timed out.
      const late = driver.attempts.filter(
        (x) =>
          x.sentAt >= pauseAt + SLOW_WRITE_MS + 250 && x.sentAt <= resumeAt - REDIS_COMMAND_TIMEOUT_MS - 500,
      );
      expect(late.length).toBeGreaterThan(20);
      const stored = late.filter((x) => x.outcome?.kind === 'ok').map(describeAttempt);
      const wrong = late.filter((x) => x.outcome?.kind !== 'ok' && !isUnavailable(x)).map(describeAttempt);
      expect(problems({ stored, wrong })).toEqual(noProblems(['stored', 'wrong']));
    });

    it('loses nothing, stores nothing twice, leaves no seq gap; every ack names a stored row', () => {
      expectStorageGuarantees(report);
    });

    it('delivers every stored message live to the receivers, within 3 s of the recovery', () => {
      expectLiveDelivery(report, driver, (m) => Math.max(m.createdAt, recoveredAt) + LIVE_AFTER_RECOVERY_MS);
    });
  });
});
