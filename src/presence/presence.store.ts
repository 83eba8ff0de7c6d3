import { Inject, Injectable } from '@nestjs/common';
import Redis from 'ioredis';
import { REDIS } from '../redis/redis.module';

const userKey = (userId: string) => `presence:${userId}`;
const instanceKey = (instanceId: string) => `presence:instance:${instanceId}`;
const INSTANCES = 'presence:instances';

/** A socket as the user's set stores it (instance|socket) and as its instance's set stores it (user|socket). */
const inUserSet = (instanceId: string, socketId: string) => `${instanceId}|${socketId}`;
const inInstanceSet = (userId: string, socketId: string) => `${userId}|${socketId}`;

// KEYS: user set, instance set, instances. ARGV: user-set member, instance-set member, now, max sockets, instance.
// Returns { 1 if this socket brought the user online else 0, ...sockets evicted beyond the cap (oldest first) }.
const CONNECT = `
local before = redis.call('ZCARD', KEYS[1])
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[2])
redis.call('ZADD', KEYS[3], 'GT', ARGV[3], ARGV[5])
local result = { before == 0 and 1 or 0 }
local excess = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[4])
if excess > 0 then
  for _, member in ipairs(redis.call('ZRANGE', KEYS[1], 0, excess - 1)) do
    redis.call('ZREM', KEYS[1], member)
    table.insert(result, member)
  end
end
return result`;

// KEYS: user set, instance set. ARGV: user-set member, instance-set member.
// Returns 1 when this was the user's last socket on any instance.
const DISCONNECT = `
local removed = redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('SREM', KEYS[2], ARGV[2])
if removed == 1 and redis.call('ZCARD', KEYS[1]) == 0 then return 1 else return 0 end`;

export interface ConnectResult {
  cameOnline: boolean;
  /** Socket ids closed to keep the user within MAX_SOCKETS_PER_USER (they may live on any instance). */
  evicted: string[];
}

/**
 * Who is online, cluster-wide. Each user has a sorted set of their sockets (scored by connect time, so the
 * oldest is known); each API instance a set of the sockets it holds and a heartbeat in a shared sorted set.
 * Sockets live as long as their instance: a socket is removed when it disconnects, or, when its instance died
 * without saying so, by the sweeper once that instance's heartbeat is stale. Connect and disconnect are atomic
 * scripts, so of two racing sockets exactly one reports the online/offline transition.
 */
@Injectable()
export class PresenceStore {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  async connect(
    instanceId: string,
    userId: string,
    socketId: string,
    maxSockets: number,
  ): Promise<ConnectResult> {
    const [cameOnline, ...evicted] = (await this.redis.eval(
      CONNECT,
      3,
      userKey(userId),
      instanceKey(instanceId),
      INSTANCES,
      inUserSet(instanceId, socketId),
      inInstanceSet(userId, socketId),
      Date.now(),
      maxSockets,
      instanceId,
    )) as [number, ...string[]];
    return { cameOnline: cameOnline === 1, evicted: evicted.map((m) => m.slice(m.indexOf('|') + 1)) };
  }

  /** True when this was the user's last socket anywhere. */
  async disconnect(instanceId: string, userId: string, socketId: string): Promise<boolean> {
    return (
      (await this.redis.eval(
        DISCONNECT,
        2,
        userKey(userId),
        instanceKey(instanceId),
        inUserSet(instanceId, socketId),
        inInstanceSet(userId, socketId),
      )) === 1
    );
  }

  /**
   * The instance is alive. False when Redis has no record of its sockets (Redis lost its data, or the sweeper
   * took the instance for dead while it stalled): the caller then registers its sockets again.
   */
  async heartbeat(instanceId: string): Promise<boolean> {
    const [, exists] = (await this.redis
      .multi()
      .zadd(INSTANCES, Date.now(), instanceId)
      .exists(instanceKey(instanceId))
      .exec())!;
    return exists[1] === 1;
  }

  /** Instances whose last heartbeat is older than `ttlMs`. */
  deadInstances(ttlMs: number): Promise<string[]> {
    return this.redis.zrangebyscore(INSTANCES, '-inf', Date.now() - ttlMs);
  }

  /** One sweeper per dead instance, cluster-wide: true for the caller that got it. */
  async claimSweep(instanceId: string, forMs: number): Promise<boolean> {
    return (await this.redis.set(`presence:sweep:${instanceId}`, '1', 'PX', forMs, 'NX')) === 'OK';
  }

  /** Removes a dead instance's sockets; returns the users that went offline with them. */
  async removeInstance(instanceId: string): Promise<string[]> {
    const members = await this.redis.smembers(instanceKey(instanceId));
    const offline: string[] = [];
    for (const member of members) {
      const [userId, socketId] = member.split('|');
      if (await this.disconnect(instanceId, userId, socketId)) offline.push(userId);
    }
    await this.redis.multi().del(instanceKey(instanceId)).zrem(INSTANCES, instanceId).exec();
    return offline;
  }

  async onlineUserIds(userIds: string[]): Promise<Set<string>> {
    const unique = [...new Set(userIds)];
    if (unique.length === 0) return new Set();
    const pipeline = this.redis.pipeline();
    for (const id of unique) pipeline.zcard(userKey(id));
    const results = (await pipeline.exec()) ?? [];
    return new Set(unique.filter((_, i) => Number(results[i]?.[1] ?? 0) > 0));
  }

  async isOnline(userId: string): Promise<boolean> {
    return (await this.onlineUserIds([userId])).has(userId);
  }
}
