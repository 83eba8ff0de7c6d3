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

/** Telegram limits: ~30 messages/s overall (the limiter); 1/s per chat is paced in the processor. */
export const queueSettings: Pick<QueueOptions, 'limiter' | 'settings'> = {
  limiter: { max: 30, duration: 1000 },
  settings: {
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
