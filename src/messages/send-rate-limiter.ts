import { Inject, Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { RateLimiter } from '../redis/rate-limiter';

const WINDOW_MS = 10_000;
const key = (userId: string) => `send-rate:${userId}`;

/**
 * THROTTLE_SEND_PER_10S per user, across instances, taken for a whole batch of sends in one Redis call;
 * replays and refused sends give their units back.
 */
@Injectable()
export class SendRateLimiter {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly limiter: RateLimiter,
  ) {}

  /** For each sender, how many of their `count` sends may go now, and how long the rest must wait. */
  async take(
    wanted: Map<string, number>,
  ): Promise<Map<string, { granted: number; retryAfterSec: number | null }>> {
    const senders = [...wanted.keys()];
    const results = await this.limiter.takeMany(
      senders.map((s) => ({ key: key(s), limit: this.config.throttle.sendPer10s, count: wanted.get(s)! })),
      WINDOW_MS,
    );
    return new Map(senders.map((s, i) => [s, results[i]]));
  }

  async refund(counts: Map<string, number>): Promise<void> {
    if (counts.size === 0) return;
    return this.limiter.refundMany([...counts].map(([sender, count]) => ({ key: key(sender), count })));
  }
}
