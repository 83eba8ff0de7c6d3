import { Inject, Injectable } from '@nestjs/common';
import { createHash, randomBytes, randomUUID } from 'crypto';
import Redis from 'ioredis';
import { REDIS } from '../redis/redis.module';

export interface Session {
  id: string;
  userId: string;
  deviceName: string;
  ip: string;
  createdAt: string;
  lastUsedAt: string;
}

const sessionKey = (sid: string) => `sess:${sid}`;
const spentKey = (sid: string) => `sess:${sid}:spent`;
const userSessionsKey = (uid: string) => `user-sess:${uid}`;
const hash = (secret: string) => createHash('sha256').update(secret).digest('base64url');

// Atomic rotation. Returns {1, userId} rotated; {2, userId} a spent token was replayed (session now revoked);
// {0} unknown token or session. KEYS: session, spent set. ARGV: presented hash, new hash, ttl seconds, now.
const ROTATE = `
local current = redis.call('HGET', KEYS[1], 'refresh')
if not current then return {0} end
local userId = redis.call('HGET', KEYS[1], 'userId')
if current == ARGV[1] then
  redis.call('HSET', KEYS[1], 'refresh', ARGV[2], 'lastUsedAt', ARGV[4])
  redis.call('SADD', KEYS[2], ARGV[1])
  redis.call('EXPIRE', KEYS[1], ARGV[3])
  redis.call('EXPIRE', KEYS[2], ARGV[3])
  return {1, userId}
end
if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 1 then
  redis.call('DEL', KEYS[1], KEYS[2])
  return {2, userId}
end
return {0}`;

export type RotateResult =
  | { kind: 'rotated'; userId: string; refreshToken: string }
  | { kind: 'reused'; userId: string }
  | { kind: 'invalid' };

/**
 * Sessions live in Redis so that revocation is seen by every API instance at once: the access-token check
 * reads the session on every request. A refresh token is "<sessionId>.<secret>"; only its hash is stored.
 */
@Injectable()
export class SessionStore {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  async create(
    userId: string,
    info: { deviceName: string; ip: string },
    ttlSec: number,
  ): Promise<{ sessionId: string; refreshToken: string }> {
    const sessionId = randomUUID();
    const secret = randomBytes(32).toString('base64url');
    const now = new Date().toISOString();
    await this.redis
      .multi()
      .hset(sessionKey(sessionId), {
        userId,
        deviceName: info.deviceName,
        ip: info.ip,
        createdAt: now,
        lastUsedAt: now,
        refresh: hash(secret),
      })
      .expire(sessionKey(sessionId), ttlSec)
      .sadd(userSessionsKey(userId), sessionId)
      .exec();
    return { sessionId, refreshToken: `${sessionId}.${secret}` };
  }

  /** The session id a refresh token claims, if it is well-formed (used as the per-account throttle key too). */
  static sessionIdOf(refreshToken: unknown): string | undefined {
    if (typeof refreshToken !== 'string') return undefined;
    const match = /^([0-9a-f-]{36})\.([A-Za-z0-9_-]{20,100})$/.exec(refreshToken);
    return match?.[1];
  }

  async rotate(refreshToken: string, ttlSec: number): Promise<RotateResult & { sessionId?: string }> {
    const sessionId = SessionStore.sessionIdOf(refreshToken);
    if (!sessionId) return { kind: 'invalid' };
    const presented = hash(refreshToken.slice(sessionId.length + 1));
    const secret = randomBytes(32).toString('base64url');
    const [status, userId] = (await this.redis.eval(
      ROTATE,
      2,
      sessionKey(sessionId),
      spentKey(sessionId),
      presented,
      hash(secret),
      ttlSec,
      new Date().toISOString(),
    )) as [number, string?];
    if (status === 1)
      return { kind: 'rotated', userId: userId!, refreshToken: `${sessionId}.${secret}`, sessionId };
    if (status === 2) {
      await this.redis.srem(userSessionsKey(userId!), sessionId);
      return { kind: 'reused', userId: userId!, sessionId };
    }
    return { kind: 'invalid' };
  }

  async isActive(sessionId: string, userId: string): Promise<boolean> {
    return (await this.redis.hget(sessionKey(sessionId), 'userId')) === userId;
  }

  async list(userId: string): Promise<Session[]> {
    const ids = await this.redis.smembers(userSessionsKey(userId));
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hgetall(sessionKey(id));
    const results = (await pipeline.exec()) ?? [];
    const sessions: Session[] = [];
    const expired: string[] = [];
    ids.forEach((id, i) => {
      const data = results[i]?.[1] as Record<string, string> | undefined;
      if (!data || data.userId !== userId) expired.push(id);
      else
        sessions.push({
          id,
          userId,
          deviceName: data.deviceName,
          ip: data.ip,
          createdAt: data.createdAt,
          lastUsedAt: data.lastUsedAt,
        });
    });
    if (expired.length) await this.redis.srem(userSessionsKey(userId), ...expired);
    return sessions.sort((a, b) => b.lastUsedAt.localeCompare(a.lastUsedAt));
  }

  /** Revokes one of the user's sessions; false when it is not theirs (or already gone). */
  async revoke(userId: string, sessionId: string): Promise<boolean> {
    if (!(await this.isActive(sessionId, userId))) return false;
    await this.redis
      .multi()
      .del(sessionKey(sessionId), spentKey(sessionId))
      .srem(userSessionsKey(userId), sessionId)
      .exec();
    return true;
  }
}
