import { createAdapter } from '@socket.io/redis-adapter';
import Redis from 'ioredis';
import { createRedisClient } from '../redis/redis.module';
import { socketIoChannelKey } from './rooms';

/** Socket.IO across API instances: rooms and broadcasts go through Redis pub/sub on two connections of its own. */
export function createRedisAdapter(redisUrl: string): {
  adapter: ReturnType<typeof createAdapter>;
  close(): Promise<void>;
} {
  const pub = createRedisClient(redisUrl);
  const sub = createRedisClient(redisUrl);
  return {
    adapter: createAdapter(pub, sub, { key: socketIoChannelKey(redisUrl) }),
    async close() {
      for (const client of [pub, sub] as Redis[]) await client.quit().catch(() => client.disconnect());
    },
  };
}
