import { Inject, Injectable } from '@nestjs/common';
import Redis from 'ioredis';
import { REDIS } from './redis.module';

export interface Bucket {
  key: string;
  limit: number;
}

// Fixed windows shared by every instance. Takes one unit from every bucket, or from none when any is full.
// KEYS: the buckets; ARGV[1]: window ms, ARGV[2..]: each bucket's limit. Returns -1 when taken, otherwise the
// milliseconds until the fullest bucket's window ends.
const TAKE = `
local wait = -1
for i, key in ipairs(KEYS) do
  local n = redis.call('INCR', key)
  if n == 1 then redis.call('PEXPIRE', key, ARGV[1]) end
  if n > tonumber(ARGV[i + 1]) then wait = math.max(wait, redis.call('PTTL', key)) end
end
if wait >= 0 then
  for _, key in ipairs(KEYS) do redis.call('DECR', key) end
end
return wait`;

// Gives a unit back to each bucket that still exists (a replay, a request that stored nothing, a good login).
const REFUND = `for _, key in ipairs(KEYS) do
  if redis.call('EXISTS', key) == 1 then redis.call('DECR', key) end
end
return 0`;

// Several units from several buckets at once (a batch of sends), each bucket granting what it has left.
// KEYS: buckets; ARGV[1]: window ms, then per bucket its limit and the units wanted.
// Returns per bucket { granted, ms until its window ends }.
const TAKE_MANY = `
local out = {}
for i, key in ipairs(KEYS) do
  local limit, want = tonumber(ARGV[2 * i]), tonumber(ARGV[2 * i + 1])
  local n = redis.call('INCRBY', key, want)
  if n == want then redis.call('PEXPIRE', key, ARGV[1]) end
  local over = math.max(0, math.min(want, n - limit))
  if over > 0 then redis.call('DECRBY', key, over) end
  out[2 * i - 1] = want - over
  out[2 * i] = redis.call('PTTL', key)
end
return out`;

const REFUND_MANY = `for i, key in ipairs(KEYS) do
  if redis.call('EXISTS', key) == 1 then redis.call('DECRBY', key, ARGV[i]) end
end
return 0`;

/** The one rate limiter (sends, failed logins, Telegram link tokens): counted in Redis, atomic across instances. */
@Injectable()
export class RateLimiter {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  /** null when allowed (and counted); otherwise the seconds to wait. */
  async take(buckets: Bucket[], windowMs: number): Promise<number | null> {
    const wait = Number(
      await this.redis.eval(
        TAKE,
        buckets.length,
        ...buckets.map((b) => b.key),
        windowMs,
        ...buckets.map((b) => b.limit),
      ),
    );
    return wait < 0 ? null : Math.max(1, Math.ceil(wait / 1000));
  }

  /**
   * Takes `count` units from each bucket, or as many as it has left; says how many, and in how many ms the
   * bucket's window ends (when it is full again).
   */
  async takeMany(
    buckets: (Bucket & { count: number })[],
    windowMs: number,
  ): Promise<{ granted: number; resetsInMs: number }[]> {
    if (buckets.length === 0) return [];
    const raw = (await this.redis.eval(
      TAKE_MANY,
      buckets.length,
      ...buckets.map((b) => b.key),
      windowMs,
      ...buckets.flatMap((b) => [b.limit, b.count]),
    )) as number[];
    // A PTTL below 0 (a bucket without a window, which TAKE_MANY never leaves) counts as ending now.
    return buckets.map((_, i) => ({ granted: raw[2 * i], resetsInMs: Math.max(0, raw[2 * i + 1]) }));
  }

  async refundMany(refunds: { key: string; count: number }[]): Promise<void> {
    if (refunds.length === 0) return;
    await this.redis.eval(
      REFUND_MANY,
      refunds.length,
      ...refunds.map((r) => r.key),
      ...refunds.map((r) => r.count),
    );
  }

  async refund(keys: string[]): Promise<void> {
    await this.redis.eval(REFUND, keys.length, ...keys);
  }

  async reset(keys: string[]): Promise<void> {
    await this.redis.del(...keys);
  }
}
