import { DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { loggerParams } from './common/logging';
import { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { NotificationQueueModule } from './notifications/notification-queue';
import { NotificationsProcessor } from './notifications/notifications.processor';
import { PresenceStoreModule } from './presence/presence-store.module';
import { SocketEmitter } from './realtime/socket-emitter';
import { RedisModule } from './redis/redis.module';
import { TelegramBotService } from './telegram/telegram-bot.service';
import { TelegramLinksService } from './telegram/telegram-links.service';

/** The worker process: the notification queue's consumer and the Telegram bot; it serves no HTTP. */
@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot(loggerParams(config)),
        DatabaseModule,
        RedisModule,
        PresenceStoreModule,
        ...NotificationQueueModule,
      ],
      providers: [TelegramLinksService, TelegramBotService, SocketEmitter, NotificationsProcessor],
    };
  }
}
