import { DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { EventsModule } from './common/events';
import { LifecycleModule } from './common/lifecycle';
import { MetricsModule } from './common/metrics';
import { loggerParams } from './common/logging';
import { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { CacheModule } from './redis/cache.module';
import { RedisModule } from './redis/redis.module';

/**
 * What every process stands on: configuration, logging, PostgreSQL, Redis, the cache, the event bus, the
 * drain state and the metrics registry (all global).
 */
@Module({})
export class CoreModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: CoreModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot(loggerParams(config)),
        DatabaseModule,
        RedisModule,
        CacheModule,
        EventsModule,
        LifecycleModule,
        MetricsModule,
      ],
    };
  }
}
