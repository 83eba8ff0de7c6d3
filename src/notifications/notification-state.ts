import { Inject, Injectable } from '@nestjs/common';
import Redis from 'ioredis';
import { REDIS } from '../redis/redis.module';

const pendingKey = (userId: string, chatId: string) => `notify:pending:${userId}:${chatId}`;
const notifiedKey = (userId: string) => `notify:notified:${userId}`;
const chatSlotKey = (telegramChatId: number) => `notify:tg-slot:${telegramChatId}`;
const lockKey = (userId: string, chatId: string) => `notify:lock:${userId}:${chatId}`;

/**
 * The notification pipeline's shared state in Redis, seen by every API instance and worker: gathering windows,
 * how far each (user, chat) was notified, the per-Telegram-chat pacing slot, and the per-(user, chat) job lock.
 */
@Injectable()
export class NotificationState {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  /** Opens the gathering window for (user, chat) unless one is open; true when this call opened it. */
  async openWindow(userId: string, chatId: string, seq: number, ttlMs: number): Promise<boolean> {
    return (await this.redis.set(pendingKey(userId, chatId), String(seq), 'PX', ttlMs, 'NX')) === 'OK';
  }

  /** From now on, a new message opens a new window (its job gathers whatever the running one does not send). */
  async closeWindow(userId: string, chatId: string): Promise<void> {
    await this.redis.del(pendingKey(userId, chatId));
  }

  async notifiedSeq(userId: string, chatId: string): Promise<number> {
    return Number((await this.redis.hget(notifiedKey(userId), chatId)) ?? 0);
  }

  async recordNotified(userId: string, chatId: string, seq: number): Promise<void> {
    await this.redis.hset(notifiedKey(userId), chatId, String(seq));
  }

  /** Telegram allows about one message per second to one chat: true when the slot was free (and is now taken). */
  async takeChatSlot(telegramChatId: number): Promise<boolean> {
    return (await this.redis.set(chatSlotKey(telegramChatId), '1', 'PX', 1000, 'NX')) === 'OK';
  }

  /** Two jobs for one (user, chat) never run at once, on any worker. */
  async lock(userId: string, chatId: string, owner: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.set(lockKey(userId, chatId), owner, 'PX', ttlMs, 'NX')) === 'OK';
  }

  async unlock(userId: string, chatId: string): Promise<void> {
    await this.redis.del(lockKey(userId, chatId));
  }
}
