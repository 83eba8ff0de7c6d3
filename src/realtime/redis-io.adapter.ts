import { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { createAdapter } from '@socket.io/redis-adapter';
import Redis from 'ioredis';
import { Server, ServerOptions } from 'socket.io';
import { AppConfig } from '../config/app-config';
import { createRedisClient, socketIoChannelKey } from '../redis/redis.module';

/** Socket.IO across API instances: rooms and broadcasts go through Redis pub/sub. */
export class RedisIoAdapter extends IoAdapter {
  private pub?: Redis;
  private sub?: Redis;

  constructor(
    app: INestApplicationContext,
    private readonly config: AppConfig,
  ) {
    super(app);
  }

  override createIOServer(port: number, options?: ServerOptions): Server {
    this.pub ??= createRedisClient(this.config.redisUrl);
    this.sub ??= this.pub.duplicate();
    const server: Server = super.createIOServer(port, {
      ...options,
      path: '/socket.io',
      // Same ceiling as REST bodies: a 4096-character message fits many times over.
      maxHttpBufferSize: this.config.bodyLimitBytes,
    });
    server.adapter(createAdapter(this.pub, this.sub, { key: socketIoChannelKey(this.config.redisUrl) }));
    return server;
  }

  override async close(server: Server): Promise<void> {
    await super.close(server);
    for (const client of [this.pub, this.sub]) await client?.quit().catch(() => client.disconnect());
  }
}
