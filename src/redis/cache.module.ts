import { CacheModule as NestCacheModule } from '@nestjs/cache-manager';
import { Global, Module } from '@nestjs/common';
import Redis from 'ioredis';
import Keyv from 'keyv';
import { IoredisKeyvStore } from './ioredis-keyv-store';
import { RateLimiter } from './rate-limiter';
import { REDIS } from './redis.module';
import { VersionedCache } from './versioned-cache';

/**
 * Shared state on Redis: cache-manager (every API instance sees the same entries and invalidations) and the
 * rate limiter.
 */
@Global()
@Module({
  imports: [
    NestCacheModule.registerAsync({
      inject: [REDIS],
      useFactory: (redis: Redis) => ({
        stores: [new Keyv({ store: new IoredisKeyvStore(redis), namespace: 'cache' })],
      }),
    }),
  ],
  providers: [VersionedCache, RateLimiter],
  exports: [NestCacheModule, VersionedCache, RateLimiter],
})
export class CacheModule {}
