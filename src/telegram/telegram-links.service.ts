import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash, randomBytes } from 'crypto';
import Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { AppError } from '../common/app-error';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { updateReturning } from '../database/sql';
import { REDIS } from '../redis/redis.module';

export const LINK_TOKEN_TTL_SEC = 600;
/** Written by the worker from getMe, read by the API when TELEGRAM_BOT_USERNAME is not set. */
export const BOT_USERNAME_KEY = 'telegram:bot-username';
const tokenKey = (token: string) => `telegram:link-token:${createHash('sha256').update(token).digest('hex')}`;

export interface LinkStatus {
  linked: boolean;
  telegramUsername?: string | null;
  linkedAt?: string;
}

/** Linking a messenger account to a Telegram private chat: used by the API (tokens) and the bot (spending). */
@Injectable()
export class TelegramLinksService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(REDIS) private readonly redis: Redis,
    @InjectDataSource() private readonly db: DataSource,
  ) {}

  /** A one-time deep link: 192 random bits, stored only as a hash, valid for 10 minutes. */
  async createLink(userId: string): Promise<{ url: string; expiresAt: string }> {
    const bot = await this.botUsername();
    const token = randomBytes(24).toString('base64url');
    await this.redis.set(tokenKey(token), userId, 'EX', LINK_TOKEN_TTL_SEC);
    return {
      url: `https://t.me/${bot}?start=${token}`,
      expiresAt: new Date(Date.now() + LINK_TOKEN_TTL_SEC * 1000).toISOString(),
    };
  }

  /** Spends a token (GETDEL: atomic, so a token links at most once) and links the Telegram chat to its user. */
  async spendToken(
    token: string,
    telegramChatId: number,
    telegramUsername: string | null,
  ): Promise<string | null> {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(token)) return null;
    const userId = await this.redis.getdel(tokenKey(token));
    if (!userId) return null;
    await this.db.transaction(async (tx) => {
      // One Telegram chat belongs to one account: linking it elsewhere moves it.
      await tx.query(`DELETE FROM telegram_links WHERE telegram_chat_id = $1 AND user_id <> $2`, [
        telegramChatId,
        userId,
      ]);
      await tx.query(
        `INSERT INTO telegram_links (user_id, telegram_chat_id, telegram_username) VALUES ($1, $2, $3)
         ON CONFLICT (user_id) DO UPDATE SET telegram_chat_id = EXCLUDED.telegram_chat_id,
           telegram_username = EXCLUDED.telegram_username, linked_at = now()`,
        [userId, telegramChatId, telegramUsername],
      );
    });
    return userId;
  }

  async status(userId: string): Promise<LinkStatus> {
    const rows: { telegram_username: string | null; linked_at: Date }[] = await this.db.query(
      `SELECT telegram_username, linked_at FROM telegram_links WHERE user_id = $1`,
      [userId],
    );
    if (rows.length === 0) return { linked: false };
    return {
      linked: true,
      telegramUsername: rows[0].telegram_username,
      linkedAt: rows[0].linked_at.toISOString(),
    };
  }

  async findChat(userId: string): Promise<number | null> {
    const rows: { telegram_chat_id: string }[] = await this.db.query(
      `SELECT telegram_chat_id FROM telegram_links WHERE user_id = $1`,
      [userId],
    );
    return rows.length ? Number(rows[0].telegram_chat_id) : null;
  }

  /** Which of these users have a linked Telegram chat. */
  async linkedAmong(userIds: string[]): Promise<string[]> {
    if (userIds.length === 0) return [];
    const rows: { user_id: string }[] = await this.db.query(
      `SELECT user_id FROM telegram_links WHERE user_id = ANY($1)`,
      [userIds],
    );
    return rows.map((r) => r.user_id);
  }

  async unlink(userId: string): Promise<void> {
    await this.db.query(`DELETE FROM telegram_links WHERE user_id = $1`, [userId]);
  }

  /** /stop, or the user blocked the bot. Returns the user that was linked, if any. */
  async unlinkChat(telegramChatId: number): Promise<string | null> {
    const rows = await updateReturning<{ user_id: string }>(
      this.db,
      `DELETE FROM telegram_links WHERE telegram_chat_id = $1 RETURNING user_id`,
      [telegramChatId],
    );
    return rows[0]?.user_id ?? null;
  }

  private async botUsername(): Promise<string> {
    if (!this.config.telegram.botToken)
      throw new AppError('TELEGRAM_UNAVAILABLE', 'Telegram notifications are not configured');
    const username = this.config.telegram.botUsername ?? (await this.redis.get(BOT_USERNAME_KEY));
    if (!username)
      throw new AppError('TELEGRAM_UNAVAILABLE', 'The Telegram bot has not started yet; try again shortly');
    return username;
  }
}
