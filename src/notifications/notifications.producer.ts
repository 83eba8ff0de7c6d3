import { InjectQueue } from '@nestjs/bull';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Queue } from 'bull';
import { OnAppEvent } from '../common/events';
import type { MessageCreatedEvent } from '../messages/messages.events';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { PresenceStore } from '../presence/presence.store';
import { TelegramLinksService } from '../telegram/telegram-links.service';
import { NOTIFICATIONS_QUEUE, NOTIFY_JOB, NotifyJob } from './notification-queue';
import { NotificationState } from './notification-state';

/**
 * API side of Telegram notifications: when a message is stored, each recipient who is offline and linked
 * gets one delayed job per chat and window. The API only enqueues; the worker talks to Telegram.
 */
@Injectable()
export class NotificationsProducer {
  private readonly logger = new Logger(NotificationsProducer.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly state: NotificationState,
    @InjectQueue(NOTIFICATIONS_QUEUE) private readonly queue: Queue<NotifyJob>,
    private readonly presence: PresenceStore,
    private readonly links: TelegramLinksService,
  ) {}

  @OnAppEvent('message.created', { async: true })
  async onMessageCreated({ message, recipientIds }: MessageCreatedEvent): Promise<void> {
    if (!this.config.telegram.botToken) return;
    try {
      await this.schedule(
        message.chatId,
        message.seq,
        recipientIds.filter((id) => id !== message.senderId),
      );
    } catch (err) {
      // A notification problem must never fail or slow the send itself.
      this.logger.error(`could not schedule notifications: ${String(err)}`);
    }
  }

  private async schedule(chatId: string, seq: number, recipientIds: string[]): Promise<void> {
    if (recipientIds.length === 0) return;
    const online = await this.presence.onlineUserIds(recipientIds);
    const linked = await this.links.linkedAmong(recipientIds.filter((id) => !online.has(id)));
    const windowMs = this.config.notifyDelayMs + 60_000;
    for (const userId of linked) {
      // openWindow (SET NX) decides which message (on whichever instance) opens the window; the job id is deterministic,
      // so even a repeated add is one job.
      if (!(await this.state.openWindow(userId, chatId, seq, windowMs))) continue;
      await this.queue.add(
        NOTIFY_JOB,
        { userId, chatId },
        {
          jobId: `notify:${userId}:${chatId}:${seq}`,
          delay: this.config.notifyDelayMs,
          attempts: 8,
          backoff: { type: 'telegram' },
          removeOnComplete: 1000,
          removeOnFail: 1000,
        },
      );
    }
  }
}
