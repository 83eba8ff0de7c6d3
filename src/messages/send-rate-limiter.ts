import { Inject, Injectable } from '@nestjs/common';
import Redis from 'ioredis';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { REDIS } from '../redis/redis.module';

const WINDOW_MS = 10_000;
const key = (userId: string) => `send-rate:${userId}`;

// Fixed 10 s window shared by all instances. A refused attempt is not counted. Returns -1 when allowed,
// otherwise the milliseconds until the window resets.
const TAKE = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
if n > tonumber(ARGV[2]) then
  redis.call('DECR', KEYS[1])
  return redis.call('PTTL', KEYS[1])
end
return -1`;

// Gives a slot back (a replay of a stored message, or a send that stored nothing).
const REFUND = `if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('DECR', KEYS[1]) end return 0`;

@Injectable()
export class SendRateLimiter {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  /** null when allowed; otherwise seconds to wait. */
  async take(userId: string): Promise<number | null> {
    const wait = Number(
      await this.redis.eval(TAKE, 1, key(userId), WINDOW_MS, this.config.throttle.sendPer10s),
    );
    return wait < 0 ? null : Math.max(1, Math.ceil(wait / 1000));
  }

  async refund(userId: string): Promise<void> {
    await this.redis.eval(REFUND, 1, key(userId));
  }
}
