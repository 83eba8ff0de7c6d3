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

  async refund(keys: string[]): Promise<void> {
    await this.redis.eval(REFUND, keys.length, ...keys);
  }

  async reset(keys: string[]): Promise<void> {
    await this.redis.del(...keys);
  }
}
