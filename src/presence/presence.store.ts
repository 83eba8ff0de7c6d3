import { Inject, Injectable } from '@nestjs/common';
import Redis from 'ioredis';
import { REDIS } from '../redis/redis.module';

/** How long a socket counts as connected without a heartbeat: an instance that crashes stops refreshing. */
export const PRESENCE_TTL_MS = 60_000;
export const PRESENCE_HEARTBEAT_MS = 20_000;

const key = (userId: string) => `presence:${userId}`;

// KEYS[1] presence:<user>; ARGV: socketId, now, expiresAt. Returns 1 when this socket brought the user online.
const CONNECT = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
local before = redis.call('ZCARD', KEYS[1])
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ${PRESENCE_TTL_MS})
if before == 0 then return 1 else return 0 end`;

// Returns 1 when this was the user's last live socket on any instance.
const DISCONNECT = `
local removed = redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
if removed == 1 and redis.call('ZCARD', KEYS[1]) == 0 then return 1 else return 0 end`;

/**
 * Who is online, cluster-wide: one sorted set per user of socket ids scored by expiry. Connect/disconnect
 * are atomic Lua scripts, so exactly one of two racing sockets reports the online/offline transition.
 */
@Injectable()
export class PresenceStore {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  async connect(userId: string, socketId: string): Promise<boolean> {
    const now = Date.now();
    return (await this.redis.eval(CONNECT, 1, key(userId), socketId, now, now + PRESENCE_TTL_MS)) === 1;
  }

  async disconnect(userId: string, socketId: string): Promise<boolean> {
    return (await this.redis.eval(DISCONNECT, 1, key(userId), socketId, Date.now())) === 1;
  }

  /** Refreshes the expiry of sockets still connected here (XX: never resurrects one removed meanwhile). */
  async heartbeat(sockets: { userId: string; socketId: string }[]): Promise<void> {
    if (sockets.length === 0) return;
    const expiresAt = Date.now() + PRESENCE_TTL_MS;
    const pipeline = this.redis.pipeline();
    for (const s of sockets) {
      pipeline.zadd(key(s.userId), 'XX', expiresAt, s.socketId);
      pipeline.pexpire(key(s.userId), PRESENCE_TTL_MS);
    }
    await pipeline.exec();
  }

  async onlineUserIds(userIds: string[]): Promise<Set<string>> {
    const unique = [...new Set(userIds)];
    if (unique.length === 0) return new Set();
    const now = Date.now();
    const pipeline = this.redis.pipeline();
    for (const id of unique) pipeline.zcount(key(id), now, '+inf');
    const results = (await pipeline.exec()) ?? [];
    return new Set(unique.filter((_, i) => Number(results[i]?.[1] ?? 0) > 0));
  }

  async isOnline(userId: string): Promise<boolean> {
    return (await this.onlineUserIds([userId])).has(userId);
  }
}
