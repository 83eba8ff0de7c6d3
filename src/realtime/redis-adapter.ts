import { Logger } from '@nestjs/common';
import { createAdapter } from '@socket.io/redis-adapter';
import Redis from 'ioredis';
import { createRedisClient } from '../redis/redis.module';
import { socketIoChannelKey } from './rooms';

/** Socket.IO across API instances: rooms and broadcasts go through Redis pub/sub on two connections of its own. */
export function createRedisAdapter(
  redisUrl: string,
  /** Names the connections in CLIENT LIST (`socket.io-pub:<name>`, `socket.io-sub:<name>`). */
  name: string,
  /** Counts publications that failed (socketio_publish_failures_total). */
  onPublishFailure: () => void,
): {
  adapter: ReturnType<typeof createAdapter>;
  /** The connection broadcasts are published on. */
  pub: Redis;
  /** The subscriber connection (in pub/sub mode). */
  sub: Redis;
  close(): Promise<void>;
} {
  // Publications go out as issued (no connection here auto-pipelines; see createRedisClient).
  const pub = createRedisClient(redisUrl, { connectionName: `socket.io-pub:${name}` });
  const sub = createRedisClient(redisUrl, { connectionName: `socket.io-sub:${name}` });
  catchFailedPublications(pub, onPublishFailure);
  return {
    adapter: createAdapter(pub, sub, { key: socketIoChannelKey(redisUrl) }),
    pub,
    sub,
    async close() {
      for (const client of [pub, sub] as Redis[]) await client.quit().catch(() => client.disconnect());
    },
  };
}

const logger = new Logger('SocketIoAdapter');
/** Failed publications are logged together, at most once per this many ms. */
const FAILURE_LOG_EVERY_MS = 1000;

/**
 * The adapter drops the promise of every PUBLISH it sends: while Redis is stalled past the command timeout, or
 * gone, each broadcast would be an unhandled rejection (one error line per broadcast, 429 in one bench run on a
 * starved machine). Every publication on this connection gets a handler that counts it (a metric, and a log
 * line with the count and the last error once per FAILURE_LOG_EVERY_MS). A broadcast that fails this way does
 * not reach other instances' sockets: message:new has the delivery outbox behind it, the rest is best effort.
 */
function catchFailedPublications(pub: Redis, count: () => void): void {
  let failed = 0;
  let lastError = '';
  const flush = () => {
    logger.warn(
      `${failed} Socket.IO publications failed within ${FAILURE_LOG_EVERY_MS} ms (last: ${lastError})`,
    );
    failed = 0;
  };
  const publish = pub.publish.bind(pub) as (...args: unknown[]) => Promise<number>;
  const onFailure = (err: unknown) => {
    count();
    lastError = String(err);
    if (failed++ === 0) setTimeout(flush, FAILURE_LOG_EVERY_MS).unref();
  };
  Object.defineProperty(pub, 'publish', {
    configurable: true,
    writable: true,
    value: (...args: unknown[]) => {
      const sent = publish(...args);
      sent.catch(onFailure);
      return sent;
    },
  });
}
