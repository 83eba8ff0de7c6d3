import { DeliveryOutbox, SLOW_WRITE_MS, WAIT_AFTER_FAILED_WRITE_MS } from './delivery-outbox';

describe('DeliveryOutbox entries', () => {
  it('reads batch id, recording time and message ids back from an entry', () => {
    const entry = 'b1a7c0de-0000-4000-8000-000000000001|1796160000000|m1,m2';
    expect(DeliveryOutbox.batchIdOf(entry)).toBe('b1a7c0de-0000-4000-8000-000000000001');
    expect(DeliveryOutbox.recordedAtOf(entry)).toBe(1796160000000);
    expect(DeliveryOutbox.idsOf(entry)).toEqual(['m1', 'm2']);
  });

  it("reads the previous version's entries (no recording time) as old, with their ids", () => {
    const entry = 'b1a7c0de-0000-4000-8000-000000000002|m3';
    expect(DeliveryOutbox.recordedAtOf(entry)).toBe(0);
    expect(DeliveryOutbox.idsOf(entry)).toEqual(['m3']);
  });
});

describe('DeliveryOutbox: whether an entry written now would be taken at once', () => {
  afterEach(() => jest.restoreAllMocks());

  /** A Redis connection whose ZADD answers only when the test says so. */
  function fakeRedis() {
    const answers: { resolve(): void; reject(err: Error): void }[] = [];
    const redis = {
      status: 'ready',
      zadd: jest.fn(
        () => new Promise<number>((resolve, reject) => answers.push({ resolve: () => resolve(1), reject })),
      ),
    };
    return { redis, answers, outbox: new DeliveryOutbox(redis as never) };
  }

  it('not while a write has waited SLOW_WRITE_MS for its answer, nor for a while after one failed', async () => {
    let now = 1_000;
    jest.spyOn(performance, 'now').mockImplementation(() => now);
    const { redis, answers, outbox } = fakeRedis();
    expect(outbox.answering()).toBe(true);
    const first = outbox.begin(['m1']);
    now += SLOW_WRITE_MS - 1;
    expect(outbox.answering()).toBe(true); // waiting, but not for long yet
    now += 1;
    expect(outbox.answering()).toBe(false); // a stalled Redis keeps its connection "ready"
    answers[0].resolve();
    await first.recorded;
    expect(outbox.answering()).toBe(true);

    const failing = outbox.record(['m2']);
    answers[1].reject(new Error('Command timed out'));
    await expect(failing).rejects.toThrow('Command timed out');
    expect(outbox.answering()).toBe(false);
    now += WAIT_AFTER_FAILED_WRITE_MS;
    expect(outbox.answering()).toBe(true);

    redis.status = 'reconnecting';
    expect(outbox.answering()).toBe(false);
  });

  it('flushed() waits for entries Redis has not taken, for as long as it is allowed', async () => {
    const { answers, outbox } = fakeRedis();
    await expect(outbox.flushed(10)).resolves.toBeUndefined(); // nothing pending
    const { recorded } = outbox.begin(['m1']);
    let flushed = false;
    const flushing = outbox.flushed(60_000).then(() => (flushed = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(flushed).toBe(false);
    answers[0].resolve();
    await Promise.all([recorded, flushing]);
    expect(flushed).toBe(true);

    outbox.begin(['m2']); // never answered: flushed() gives up after its time (else the test times out)
    await expect(outbox.flushed(50)).resolves.toBeUndefined();
  });
});
