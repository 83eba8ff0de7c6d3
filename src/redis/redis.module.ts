import {
  Global,
  Inject,
  Injectable,
  Logger,
  Module,
  OnApplicationShutdown,
  OnModuleInit,
} from '@nestjs/common';
import { Metrics } from '../common/metrics';
import Redis, { RedisOptions } from 'ioredis';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';

export const REDIS = Symbol('REDIS');

/** A Redis command not answered within this is an outage (503), not a hang. */
export const REDIS_COMMAND_TIMEOUT_MS = 3000;

const redisLogger = new Logger('Redis');

/** The one way this project makes a Redis connection (commands, pub/sub, the adapter all come through here). */
export function createRedisClient(url: string, options: RedisOptions = {}): Redis {
  const client = new Redis(url, {
    // Fail commands quickly while Redis is down or stalled instead of queueing them for a long time.
    maxRetriesPerRequest: 2,
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    connectTimeout: 5000,
    enableReadyCheck: true,
    // No auto-pipelining: ioredis builds a Pipeline object per turn for it (its own hidden class, a getter,
    // every command copied onto it), and at 1,000 sends/s that doubled the bytes promoted per message and the
    // young-generation GC pauses for no saved round trip (docs/performance.md, section 7). The hot paths
    // batch on purpose instead (one rate-limit call and one outbox record per send batch, in flight together;
    // one ZREM per 100 ms of acknowledgements).
    enableAutoPipelining: false,
    ...options,
  });
  // ioredis reconnects by itself; a dropped connection is worth a log line, not a crash.
  client.on('error', (err: Error) => redisLogger.warn(`Redis connection: ${err.message}`));
  return client;
}

/** Reports redis_up (1 while the command connection is ready) and closes the connection at shutdown. */
@Injectable()
class RedisLifecycle implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly metrics: Metrics,
  ) {}

  onModuleInit(): void {
    this.metrics.gauge('redis_up', 'Whether the Redis command connection is ready.', [], (set) =>
      set(this.redis.status === 'ready' ? 1 : 0),
    );
  }

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
    RedisLifecycle,
  ],
  exports: [REDIS],
})
export class RedisModule {}
