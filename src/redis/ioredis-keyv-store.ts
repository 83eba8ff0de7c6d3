import { EventEmitter } from 'events';
import Redis from 'ioredis';
import type { KeyvStoreAdapter, StoredData } from 'keyv';

/**
 * Lets cache-manager (through Keyv) store on the project's one ioredis connection, rather than pulling in a
 * second Redis client library. Keyv serialises values and passes TTLs in milliseconds.
 */
export class IoredisKeyvStore extends EventEmitter implements KeyvStoreAdapter {
  opts = {};
  namespace?: string;

  constructor(private readonly redis: Redis) {
    super();
  }

  async get<Value>(key: string): Promise<StoredData<Value> | undefined> {
    return ((await this.redis.get(key)) ?? undefined) as StoredData<Value> | undefined;
  }

  async set(key: string, value: string, ttl?: number): Promise<void> {
    if (ttl && ttl > 0) await this.redis.set(key, value, 'PX', ttl);
    else await this.redis.set(key, value);
  }

  async delete(key: string): Promise<boolean> {
    return (await this.redis.del(key)) > 0;
  }

  async clear(): Promise<void> {
    // Only ever used by tests; keys are short-lived and namespaced by Keyv.
    const pattern = `${this.namespace ?? 'keyv'}:*`;
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      if (keys.length) await this.redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  }
}
