import { Module } from '@nestjs/common';
import { MessagesModule } from '../messages/messages.module';
import { PresenceModule } from '../presence/presence.module';
import { TelegramBotModule } from '../telegram/telegram-bot.module';
import { TelegramLinksModule } from '../telegram/telegram-links.module';
import { NotificationQueueModule } from './notification-queue';
import { NotificationState } from './notification-state';
import { NotificationsProcessor } from './notifications.processor';
import { NotificationsProducer } from './notifications.producer';

/** API side: schedules a delayed job when a message is stored for an offline, linked recipient. */
@Module({
  imports: [NotificationQueueModule, PresenceModule, TelegramLinksModule],
  providers: [NotificationState, NotificationsProducer],
})
export class NotificationsModule {}

/** Worker side: runs the jobs and sends through the Telegram bot. */
@Module({
  imports: [NotificationQueueModule, PresenceModule, MessagesModule, TelegramLinksModule, TelegramBotModule],
  providers: [NotificationState, NotificationsProcessor],
})
export class NotificationsWorkerModule {}
