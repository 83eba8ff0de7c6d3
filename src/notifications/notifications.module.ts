import { Injectable, Module, OnModuleInit } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bull';
import type { Queue } from 'bull';
import { Metrics } from '../common/metrics';
import { MessagesModule } from '../messages/messages.module';
import { PresenceModule } from '../presence/presence.module';
import { TelegramBotModule } from '../telegram/telegram-bot.module';
import { TelegramLinksModule } from '../telegram/telegram-links.module';
import { NOTIFICATIONS_QUEUE, NotificationQueueModule, NotifyJob } from './notification-queue';
import { NotificationState } from './notification-state';
import { NotificationsProcessor } from './notifications.processor';
import { NotificationsProducer } from './notifications.producer';

/** API side: schedules a delayed job when a message is stored for an offline, linked recipient. */
@Module({
  imports: [NotificationQueueModule, PresenceModule, TelegramLinksModule],
  providers: [NotificationState, NotificationsProducer],
})
export class NotificationsModule {}

/** notifications_queue_jobs{state}: how many jobs wait, are delayed, run, or failed for good. */
@Injectable()
class QueueMetrics implements OnModuleInit {
  constructor(
    @InjectQueue(NOTIFICATIONS_QUEUE) private readonly queue: Queue<NotifyJob>,
    private readonly metrics: Metrics,
  ) {}

  onModuleInit(): void {
    this.metrics.gauge('notifications_queue_jobs', 'Notification jobs by state.', ['state'], async (set) => {
      const counts = await this.queue.getJobCounts();
      for (const state of ['waiting', 'delayed', 'active', 'failed'] as const) set(counts[state], { state });
    });
  }
}

/** Worker side: runs the jobs and sends through the Telegram bot. */
@Module({
  imports: [NotificationQueueModule, PresenceModule, MessagesModule, TelegramLinksModule, TelegramBotModule],
  providers: [NotificationState, NotificationsProcessor, QueueMetrics],
})
export class NotificationsWorkerModule {}
