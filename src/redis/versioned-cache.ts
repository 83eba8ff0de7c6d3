import { CACHE_MANAGER } from '@nestjs/cache-manager';
import { Inject, Injectable } from '@nestjs/common';
import type { Cache } from 'cache-manager';
import Redis from 'ioredis';
import { REDIS } from './redis.module';

interface Entry<T> {
  version: number;
  value: T;
}

/**
 * cache-manager (on Redis) with invalidation that cannot be undone by a slow reader: invalidate() bumps a
 * version after the writer's commit, and an entry stored by a reader that loaded before the bump carries the
 * old version, so it reads as a miss. Plain delete-on-write would let that reader put stale data back.
 */
@Injectable()
export class VersionedCache {
  constructor(
    @Inject(CACHE_MANAGER) private readonly cache: Cache,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  /** `keep` decides whether a loaded value is worth caching (e.g. not the empty answer for an unknown id). */
  async getOrLoad<T>(
    key: string,
    ttlMs: number,
    load: () => Promise<T>,
    keep: (value: T) => boolean = () => true,
  ): Promise<T> {
    const [entry, version] = await Promise.all([this.cache.get<Entry<T>>(key), this.version(key)]);
    if (entry && entry.version === version) return entry.value;
    const value = await load();
    if (keep(value)) await this.cache.set(key, { version, value } satisfies Entry<T>, ttlMs);
    return value;
  }

  /** Call after the change is committed. */
  async invalidate(key: string): Promise<void> {
    await this.redis.incr(`${key}:version`);
    await this.cache.del(key);
  }

  private async version(key: string): Promise<number> {
    return Number(await this.redis.get(`${key}:version`));
  }
}
