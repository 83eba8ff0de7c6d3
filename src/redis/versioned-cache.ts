import { CACHE_MANAGER } from '@nestjs/cache-manager';
import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import type { Cache } from 'cache-manager';
import Redis from 'ioredis';
import { REDIS } from './redis.module';

/** A failed invalidation is tried again this often, for at most MAX_TTL_MS (no entry lives longer). */
const RETRY_EVERY_MS = 1000;
export const MAX_TTL_MS = 5 * 60_000;

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
export class VersionedCache implements OnModuleDestroy {
  private readonly logger = new Logger(VersionedCache.name);
  /** Keys whose invalidation failed, with when it first did. */
  private readonly pending = new Map<string, number>();
  private retryTimer?: NodeJS.Timeout;
  private retrying = false;

  constructor(
    @Inject(CACHE_MANAGER) private readonly cache: Cache,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  onModuleDestroy(): void {
    clearInterval(this.retryTimer);
  }

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

  /**
   * Call after the change is committed. If Redis fails to take it (away, or too slow), the change stands all the
   * same, so this does not fail its caller (who still has events to send for it): the invalidation is tried
   * again, all pending keys in one round every RETRY_EVERY_MS, until it succeeds. A reader may get the copy from
   * before the change until then (and not at all while Redis is away).
   */
  async invalidate(key: string): Promise<void> {
    try {
      await this.bump(key);
    } catch (err) {
      this.logger.warn(`cache invalidation of ${key} failed, trying again: ${String(err)}`);
      if (!this.pending.has(key)) this.pending.set(key, Date.now());
      this.retryTimer ??= setInterval(() => void this.retry(), RETRY_EVERY_MS).unref();
    }
  }

  private async bump(key: string): Promise<void> {
    await this.redis.incr(`${key}:version`);
    await this.cache.del(key);
  }

  private async retry(): Promise<void> {
    if (this.retrying) return; // a round still waiting for a slow Redis: no second one beside it
    this.retrying = true;
    try {
      await this.retryRound();
    } finally {
      this.retrying = false;
    }
  }

  private async retryRound(): Promise<void> {
    for (const [key, since] of [...this.pending]) {
      try {
        await this.bump(key);
        this.pending.delete(key);
      } catch {
        if (Date.now() - since > MAX_TTL_MS) this.pending.delete(key); // expired by itself meanwhile
      }
    }
    if (this.pending.size === 0) {
      clearInterval(this.retryTimer);
      this.retryTimer = undefined;
    }
  }

  private async version(key: string): Promise<number> {
    return Number(await this.redis.get(`${key}:version`));
  }
}
