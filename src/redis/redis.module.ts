import { Global, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import Redis, { RedisOptions } from 'ioredis';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';

export const REDIS = Symbol('REDIS');

/** The one way this project makes a Redis connection (commands, pub/sub, Bull all come through here). */
export function createRedisClient(url: string, options: RedisOptions = {}): Redis {
  return new Redis(url, {
    // Fail commands quickly while Redis is down instead of queueing them for a long time.
    maxRetriesPerRequest: 2,
    enableReadyCheck: true,
    ...options,
  });
}

/** The Redis database index in REDIS_URL; pub/sub channels are not per-database, so channel names carry it. */
export function redisDb(url: string): number {
  const path = new URL(url).pathname.replace('/', '');
  return path ? Number(path) : 0;
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
