import { DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { EventsModule } from './common/events';
import { loggerParams } from './common/logging';
import { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { NotificationsWorkerModule } from './notifications/notifications.module';
import { CacheModule } from './redis/cache.module';
import { RedisModule } from './redis/redis.module';

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
        CacheModule,
        EventsModule,
        NotificationsWorkerModule,
      ],
    };
  }
}
