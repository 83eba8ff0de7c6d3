import { Inject, Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { RateLimiter } from '../redis/rate-limiter';

const WINDOW_MS = 10_000;
const key = (userId: string) => `send-rate:${userId}`;

/** THROTTLE_SEND_PER_10S per user, across instances; replays and refused sends give their slot back. */
@Injectable()
export class SendRateLimiter {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly limiter: RateLimiter,
  ) {}

  /** null when allowed; otherwise seconds to wait. */
  take(userId: string): Promise<number | null> {
    return this.limiter.take([{ key: key(userId), limit: this.config.throttle.sendPer10s }], WINDOW_MS);
  }

  refund(userId: string): Promise<void> {
    return this.limiter.refund([key(userId)]);
  }
}
