import { CacheModule as NestCacheModule } from '@nestjs/cache-manager';
import { Global, Module } from '@nestjs/common';
import Redis from 'ioredis';
import Keyv from 'keyv';
import { IoredisKeyvStore } from './ioredis-keyv-store';
import { REDIS } from './redis.module';
import { VersionedCache } from './versioned-cache';

/** cache-manager backed by Redis, so every API instance sees the same entries and the same invalidations. */
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
  providers: [VersionedCache],
  exports: [NestCacheModule, VersionedCache],
})
export class CacheModule {}
