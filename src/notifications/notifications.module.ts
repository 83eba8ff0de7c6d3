import { Module } from '@nestjs/common';
import { PresenceStoreModule } from '../presence/presence-store.module';
import { TelegramLinksService } from '../telegram/telegram-links.service';
import { NotificationQueueModule } from './notification-queue';
import { NotificationsProducer } from './notifications.producer';

/** API side: schedules notifications. The worker module has the consumer. */
@Module({
  imports: [...NotificationQueueModule, PresenceStoreModule],
  providers: [NotificationsProducer, TelegramLinksService],
})
export class NotificationsModule {}
