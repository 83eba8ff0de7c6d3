import { mockOf } from '../../test/unit/mocks';
import { AppConfig } from '../config/app-config';
import { RateLimiter } from '../redis/rate-limiter';
import { SendRateLimiter, spareUnits } from './send-rate-limiter';

const ALICE = 'alice';
const BOB = 'bob';

function setup(limit = 30) {
  const redis = mockOf<RateLimiter>();
  const config = { throttle: { sendPer10s: limit } } as AppConfig;
  return { redis, limiter: new SendRateLimiter(config, redis) };
}

describe('SendRateLimiter', () => {
  afterEach(() => jest.restoreAllMocks());

  it('holds a tenth of the limit, at most 16 units, beyond what a take needs', () => {
    expect([3, 30, 100, 1_000_000].map(spareUnits)).toEqual([1, 3, 10, 16]);
  });

  it('a take asks Redis for its need plus the spare; the spare is then spent here, all or nothing', async () => {
    const t = setup(30); // spare 3
    t.redis.takeMany.mockResolvedValueOnce([{ granted: 4, resetsInMs: 9_000 }]);
    const grants = await t.limiter.take(new Map([[ALICE, 1]]));
    expect(grants.get(ALICE)).toEqual({ granted: 1, retryAfterSec: null });
    expect(t.redis.takeMany).toHaveBeenCalledWith(
      [{ key: `send-rate:${ALICE}`, limit: 30, count: 4 }],
      10_000,
    );
    // Bob holds nothing: a batch of Alice's and Bob's sends takes nothing from what Alice holds.
    expect(
      t.limiter.takeHeld(
        new Map([
          [ALICE, 1],
          [BOB, 1],
        ]),
      ),
    ).toBe(false);
    expect(t.limiter.takeHeld(new Map([[ALICE, 2]]))).toBe(true);
    expect(t.limiter.takeHeld(new Map([[ALICE, 2]]))).toBe(false); // one left
    expect(t.limiter.takeHeld(new Map([[ALICE, 1]]))).toBe(true);
    expect(t.limiter.takeHeld(new Map([[ALICE, 1]]))).toBe(false);
  });

  it('a take spends what is held first and asks Redis only for the rest', async () => {
    const t = setup(30);
    t.redis.takeMany.mockResolvedValueOnce([{ granted: 4, resetsInMs: 9_000 }]);
    await t.limiter.take(new Map([[ALICE, 1]])); // holds 3
    t.redis.takeMany.mockResolvedValueOnce([{ granted: 2, resetsInMs: 8_000 }]); // the bucket is nearly full
    const grants = await t.limiter.take(new Map([[ALICE, 7]]));
    // 3 held + 2 from Redis (asked for 4 + 3 spare); the other 2 wait for the window's end.
    expect(t.redis.takeMany).toHaveBeenLastCalledWith(
      [{ key: `send-rate:${ALICE}`, limit: 30, count: 7 }],
      10_000,
    );
    expect(grants.get(ALICE)).toEqual({ granted: 5, retryAfterSec: 8 });
    expect(t.limiter.takeHeld(new Map([[ALICE, 1]]))).toBe(false);
  });

  it('held units end with their window', async () => {
    const t = setup(30);
    let now = 1_000;
    jest.spyOn(performance, 'now').mockImplementation(() => now);
    t.redis.takeMany.mockResolvedValueOnce([{ granted: 4, resetsInMs: 5_000 }]);
    await t.limiter.take(new Map([[ALICE, 1]]));
    now = 5_999;
    expect(t.limiter.takeHeld(new Map([[ALICE, 1]]))).toBe(true);
    now = 6_000; // the take started at 1,000 and Redis said the window ends 5,000 ms later
    expect(t.limiter.takeHeld(new Map([[ALICE, 1]]))).toBe(false);
  });

  it('Redis failing: the take fails, and the held units it had spent are held again', async () => {
    const t = setup(30);
    t.redis.takeMany.mockResolvedValueOnce([{ granted: 4, resetsInMs: 9_000 }]);
    await t.limiter.take(new Map([[ALICE, 1]])); // holds 3
    t.redis.takeMany.mockRejectedValueOnce(new Error('Command timed out'));
    await expect(t.limiter.take(new Map([[ALICE, 5]]))).rejects.toThrow('Command timed out');
    expect(t.limiter.takeHeld(new Map([[ALICE, 3]]))).toBe(true);
  });

  it('a take that Redis grants in full from held units makes no call', async () => {
    const t = setup(30);
    t.redis.takeMany.mockResolvedValueOnce([{ granted: 4, resetsInMs: 9_000 }]);
    await t.limiter.take(new Map([[ALICE, 1]]));
    await expect(t.limiter.take(new Map([[ALICE, 3]]))).resolves.toEqual(
      new Map([[ALICE, { granted: 3, retryAfterSec: null }]]),
    );
    expect(t.redis.takeMany).toHaveBeenCalledTimes(1);
  });
});

describe('SendRateLimiter: takes in flight at once for one sender', () => {
  it('bring one spare between them, not one each', async () => {
    const redis = mockOf<RateLimiter>();
    const limiter = new SendRateLimiter({ throttle: { sendPer10s: 30 } } as AppConfig, redis); // spare 3
    let answer!: (v: { granted: number; resetsInMs: number }[]) => void;
    redis.takeMany.mockImplementationOnce(() => new Promise((r) => (answer = r)));
    redis.takeMany.mockResolvedValueOnce([{ granted: 1, resetsInMs: 9_000 }]);
    // Two batches of Alice's (to two chats) at once: the first asks for 1 + 3, the second for 1 + 0.
    const first = limiter.take(new Map([[ALICE, 1]]));
    const second = limiter.take(new Map([[ALICE, 1]]));
    answer([{ granted: 4, resetsInMs: 9_000 }]);
    await Promise.all([first, second]);
    expect(redis.takeMany.mock.calls.map(([buckets]) => buckets[0].count)).toEqual([4, 1]);
    // What is held is that one spare: three sends, not four.
    expect(limiter.takeHeld(new Map([[ALICE, 3]]))).toBe(true);
    expect(limiter.takeHeld(new Map([[ALICE, 1]]))).toBe(false);
    // Once no take is in flight, the next one asks for a spare again.
    redis.takeMany.mockResolvedValueOnce([{ granted: 4, resetsInMs: 8_000 }]);
    await limiter.take(new Map([[ALICE, 1]]));
    expect(redis.takeMany.mock.calls[2][0][0].count).toBe(4);
  });
});
