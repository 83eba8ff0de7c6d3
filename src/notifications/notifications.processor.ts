import { OnQueueCompleted, OnQueueFailed, Process, Processor } from '@nestjs/bull';
import { Inject, Logger } from '@nestjs/common';
import type { Job } from 'bull';
import { TelegramError } from 'telegraf';
import { Metrics } from '../common/metrics';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { MessagesRepository } from '../messages/messages.repository';
import { PresenceStore } from '../presence/presence.store';
import { TelegramBotService } from '../telegram/telegram-bot.service';
import { TelegramLinksService } from '../telegram/telegram-links.service';
import {
  JOB_LOCK_MS,
  NOTIFICATIONS_QUEUE,
  TELEGRAM_CALL_TIMEOUT_MS,
  NOTIFY_JOB,
  NotifyJob,
  RetryLaterError,
} from './notification-queue';
import { notificationText } from './notification-text';
import { NotificationState } from './notification-state';

export type NotifyOutcome =
  'disabled' | 'sent' | 'online' | 'unlinked' | 'nothing-unread' | 'blocked' | 'rejected';

/**
 * Runs when a notification's delay is over. It re-checks everything (still offline, still linked, still
 * unread, not deleted), gathers every message of the chat not yet read nor notified, sends one Telegram
 * message, then records how far it notified, so a retry or a later job never repeats a message.
 */
@Processor(NOTIFICATIONS_QUEUE)
export class NotificationsProcessor {
  private readonly logger = new Logger(NotificationsProcessor.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly state: NotificationState,
    private readonly messages: MessagesRepository,
    private readonly presence: PresenceStore,
    private readonly links: TelegramLinksService,
    private readonly bot: TelegramBotService,
    private readonly metrics: Metrics,
  ) {}

  @OnQueueCompleted()
  onCompleted(_job: Job<NotifyJob>, outcome: NotifyOutcome): void {
    this.metrics.jobs.inc({ outcome });
  }

  /** A failure Bull will retry counts as "retry"; the last attempt's as "failed". */
  @OnQueueFailed()
  onFailed(job: Job<NotifyJob>): void {
    this.metrics.jobs.inc({ outcome: job.attemptsMade >= (job.opts.attempts ?? 1) ? 'failed' : 'retry' });
  }

  @Process(NOTIFY_JOB)
  async notify(job: Job<NotifyJob>): Promise<NotifyOutcome> {
    const { userId, chatId } = job.data;
    await this.state.closeWindow(userId, chatId);
    const busyForMs = await this.state.lock(userId, chatId, String(job.id), JOB_LOCK_MS);
    if (busyForMs > 0)
      throw new RetryLaterError(busyForMs + 100, 'another notification for this chat is running');
    try {
      return await this.notifyLocked(userId, chatId);
    } finally {
      await this.state.unlock(userId, chatId, String(job.id));
    }
  }

  private async notifyLocked(userId: string, chatId: string): Promise<NotifyOutcome> {
    if (!this.bot.bot) return 'disabled'; // queued before TELEGRAM_BOT_TOKEN was removed
    if (await this.presence.isOnline(userId)) return 'online';
    const telegramChatId = await this.links.findChat(userId);
    if (telegramChatId === null) return 'unlinked';

    const notified = await this.state.notifiedSeq(userId, chatId);
    const rows = await this.messages.unreadForNotification(userId, chatId, notified);
    if (rows.length === 0) return 'nothing-unread';

    if (!(await this.state.takeChatSlot(telegramChatId))) {
      throw new RetryLaterError(1000, 'pacing: one message per second per Telegram chat');
    }
    const text = notificationText(
      {
        type: rows[0].chatType,
        title: rows[0].groupName ?? rows[0].senderName,
        url: `${this.config.publicUrl}/?chat=${chatId}`,
      },
      rows.map((r) => ({ seq: r.seq, text: r.text, senderName: r.senderName })),
    );
    try {
      await this.bot.send(telegramChatId, text, TELEGRAM_CALL_TIMEOUT_MS);
    } catch (err) {
      return this.onTelegramError(err, telegramChatId);
    }
    await this.state.recordNotified(userId, chatId, rows[rows.length - 1].seq);
    return 'sent';
  }

  private async onTelegramError(err: unknown, telegramChatId: number): Promise<NotifyOutcome> {
    if (!(err instanceof TelegramError)) throw err; // network: retried with backoff
    if (err.code === 429) {
      const seconds = err.parameters?.retry_after ?? 1;
      throw new RetryLaterError(seconds * 1000, `Telegram asked to wait ${seconds}s`);
    }
    if (err.code === 403) {
      // Blocked by the user (or the account is gone): stop sending there.
      await this.links.unlinkChat(telegramChatId);
      this.logger.warn(`unlinked Telegram chat ${telegramChatId}: ${err.description}`);
      return 'blocked';
    }
    if (err.code >= 500) throw err; // Telegram's trouble: retried with backoff
    this.logger.error(`Telegram refused a notification: ${err.description}`);
    return 'rejected';
  }
}
