import { createAdapter } from '@socket.io/redis-adapter';
import Redis from 'ioredis';
import { createRedisClient } from '../redis/redis.module';
import { socketIoChannelKey } from './rooms';

/** Socket.IO across API instances: rooms and broadcasts go through Redis pub/sub on two connections of its own. */
export function createRedisAdapter(
  redisUrl: string,
  /** Names the connections in CLIENT LIST (`socket.io-pub:<name>`, `socket.io-sub:<name>`). */
  name: string,
): {
  adapter: ReturnType<typeof createAdapter>;
  /** The connection broadcasts are published on (commands sent on it after a publish reach Redis after it). */
  pub: Redis;
  /** The subscriber connection (in pub/sub mode). */
  sub: Redis;
  close(): Promise<void>;
} {
  // Publications go out as issued (no connection here auto-pipelines; see createRedisClient).
  const pub = createRedisClient(redisUrl, { connectionName: `socket.io-pub:${name}` });
  const sub = createRedisClient(redisUrl, { connectionName: `socket.io-sub:${name}` });
  return {
    adapter: createAdapter(pub, sub, { key: socketIoChannelKey(redisUrl) }),
    pub,
    sub,
    async close() {
      for (const client of [pub, sub] as Redis[]) await client.quit().catch(() => client.disconnect());
    },
  };
}
