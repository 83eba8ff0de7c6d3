import { Inject, Injectable, Module } from '@nestjs/common';
import { Emitter } from '@socket.io/redis-emitter';
import Redis from 'ioredis';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { REDIS } from '../redis/redis.module';
import { socketIoChannelKey, userRoom } from './rooms';
import { ServerToClientEvents } from './socket-events';

/** Lets processes without a Socket.IO server (the worker) send to users' sockets through the API instances. */
@Injectable()
export class SocketEmitter {
  private readonly emitter: Emitter<ServerToClientEvents>;

  constructor(@Inject(APP_CONFIG) config: AppConfig, @Inject(REDIS) redis: Redis) {
    this.emitter = new Emitter<ServerToClientEvents>(redis, { key: socketIoChannelKey(config.redisUrl) });
  }

  toUser<E extends keyof ServerToClientEvents>(
    userId: string,
    event: E,
    ...payload: Parameters<ServerToClientEvents[E]>
  ): void {
    this.emitter.to(userRoom(userId)).emit(event, ...payload);
  }
}

@Module({ providers: [SocketEmitter], exports: [SocketEmitter] })
export class SocketEmitterModule {}
