import { BullModule } from '@nestjs/bull';
import { Module } from '@nestjs/common';
import type { QueueOptions } from 'bull';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';

export const NOTIFICATIONS_QUEUE = 'notifications';
export const NOTIFY_JOB = 'notify';

export interface NotifyJob {
  userId: string;
  chatId: string;
}

/** A failure that says when to try again (Telegram's 429 retry_after, or the per-chat pacing). */
export class RetryLaterError extends Error {
  constructor(
    readonly retryAfterMs: number,
    reason: string,
  ) {
    super(reason);
  }
}

/** Longest a Bot API call may take before the job gives up on it (and retries). */
export const TELEGRAM_CALL_TIMEOUT_MS = 8000;
/**
 * Our per-(user, chat) lock outlives a Bot API call but not a crash: a worker killed mid-call leaves it for at
 * most this long, and Bull re-runs the stalled job only after its own lock (BULL_LOCK_MS) lapsed and a stalled
 * check (BULL_STALLED_INTERVAL_MS) saw it — by then our lock has expired, or the re-run takes it over (same job).
 */
export const JOB_LOCK_MS = TELEGRAM_CALL_TIMEOUT_MS + 2000;
export const BULL_LOCK_MS = JOB_LOCK_MS + 5000;
export const BULL_STALLED_INTERVAL_MS = 5000;

/** Telegram limits: ~30 messages/s overall (the limiter); 1/s per chat is paced in the processor. */
export const queueSettings: Pick<QueueOptions, 'limiter' | 'settings'> = {
  limiter: { max: 30, duration: 1000 },
  settings: {
    lockDuration: BULL_LOCK_MS,
    stalledInterval: BULL_STALLED_INTERVAL_MS,
    // A job whose worker died twice is still retried, not failed: each death is one more stall.
    maxStalledCount: 3,
    backoffStrategies: {
      telegram: (attemptsMade: number, err?: Error) =>
        err instanceof RetryLaterError
          ? err.retryAfterMs
          : Math.min(60_000, 1000 * 2 ** Math.max(0, attemptsMade - 1)),
    },
  },
};

/**
 * Bull on this project's Redis. Bull makes and owns its connections (with the retry settings its blocking
 * and subscriber connections need): given a createClient instead, Bull leaves them open at close.
 */
@Module({
  imports: [
    BullModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({ redis: config.redisUrl }),
    }),
    BullModule.registerQueue({ name: NOTIFICATIONS_QUEUE, ...queueSettings }),
  ],
  exports: [BullModule],
})
export class NotificationQueueModule {}
