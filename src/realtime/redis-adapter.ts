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
  // The adapter drops the promises of its (un)subscriptions too (at start and at close): a Redis that is away
  // at that moment is logged once here, not an unhandled rejection each. Our own callers still see the error.
  for (const method of ['subscribe', 'psubscribe', 'unsubscribe', 'punsubscribe'] as const)
    attachHandler(sub, method, (err) => logger.warn(`Socket.IO ${method} failed: ${String(err)}`));
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
  attachHandler(pub, 'publish', (err) => {
    count();
    lastError = String(err);
    if (failed++ === 0) setTimeout(flush, FAILURE_LOG_EVERY_MS).unref();
  });
}

/** Every promise `client[method]` returns gets `onFailure` attached; the caller gets the same promise. */
function attachHandler(client: Redis, method: keyof Redis, onFailure: (err: unknown) => void): void {
  const original = (client[method] as (...args: unknown[]) => Promise<unknown>).bind(client);
  Object.defineProperty(client, method, {
    configurable: true,
    writable: true,
    value: (...args: unknown[]) => {
      const sent = original(...args);
      sent.catch(onFailure);
      return sent;
    },
  });
}
