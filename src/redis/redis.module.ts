import { Global, Inject, Injectable, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import Redis, { RedisOptions } from 'ioredis';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';

export const REDIS = Symbol('REDIS');

const redisLogger = new Logger('Redis');

/** The one way this project makes a Redis connection (commands, pub/sub, the adapter all come through here). */
export function createRedisClient(url: string, options: RedisOptions = {}): Redis {
  const client = new Redis(url, {
    // Fail commands quickly while Redis is down instead of queueing them for a long time.
    maxRetriesPerRequest: 2,
    enableReadyCheck: true,
    ...options,
  });
  // ioredis reconnects by itself; a dropped connection is worth a log line, not a crash.
  client.on('error', (err: Error) => redisLogger.warn(`Redis connection: ${err.message}`));
  return client;
}

@Injectable()
class RedisCloser implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}
  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

@Global()
@Module({
  providers: [
    {
      provide: REDIS,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => createRedisClient(config.redisUrl),
    },
    RedisCloser,
  ],
  exports: [REDIS],
})
export class RedisModule {}
