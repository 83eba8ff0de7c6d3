import { Emitter } from '@socket.io/redis-emitter';
import { Inject, Injectable } from '@nestjs/common';
import Redis from 'ioredis';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { REDIS } from '../redis/redis.module';
import { socketIoChannelKey } from '../redis/redis.module';

/** Lets processes without a Socket.IO server (the worker) send to users' sockets through the API instances. */
@Injectable()
export class SocketEmitter {
  private readonly emitter: Emitter;

  constructor(@Inject(APP_CONFIG) config: AppConfig, @Inject(REDIS) redis: Redis) {
    this.emitter = new Emitter(redis, { key: socketIoChannelKey(config.redisUrl) });
  }

  toUser(userId: string, event: string, payload: unknown): void {
    this.emitter.to(`user:${userId}`).emit(event, payload);
  }
}
