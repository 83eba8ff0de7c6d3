import { InjectQueue } from '@nestjs/bull';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Queue } from 'bull';
import { OnAppEvent } from '../common/events';
import type { MessageDto } from '../messages/dto/message.dto';
import type { MessagesCreatedEvent } from '../messages/messages.events';
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

  @OnAppEvent('messages.created', { async: true })
  async onMessagesCreated({ items }: MessagesCreatedEvent): Promise<void> {
    if (!this.config.telegram.botToken) return;
    try {
      await this.schedule(items.map(({ message, recipientIds }) => ({ message, recipientIds })));
    } catch (err) {
      // A notification problem must never fail or slow the send itself.
      this.logger.error(`could not schedule notifications: ${String(err)}`);
    }
  }

  /** One presence lookup and one link lookup for a whole batch of messages. */
  private async schedule(items: { message: MessageDto; recipientIds: string[] }[]): Promise<void> {
    const others = (i: (typeof items)[number]) => i.recipientIds.filter((id) => id !== i.message.senderId);
    const everyone = [...new Set(items.flatMap(others))];
    if (everyone.length === 0) return;
    const online = await this.presence.onlineUserIds(everyone);
    const linked = new Set(await this.links.linkedAmong(everyone.filter((id) => !online.has(id))));
    if (linked.size === 0) return;
    const windowMs = this.config.notifyDelayMs + 60_000;
    for (const item of items)
      for (const userId of others(item).filter((id) => linked.has(id)))
        await this.enqueue(userId, item.message.chatId, item.message.seq, windowMs);
  }

  private async enqueue(userId: string, chatId: string, seq: number, windowMs: number): Promise<void> {
    // openWindow (SET NX) decides which message (on whichever instance) opens the window; the job id is
    // deterministic, so even a repeated add is one job.
    if (!(await this.state.openWindow(userId, chatId, seq, windowMs))) return;
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
