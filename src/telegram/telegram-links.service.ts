import { Inject, Injectable } from '@nestjs/common';
import { createHash, randomBytes } from 'crypto';
import Redis from 'ioredis';
import { AppError } from '../common/app-error';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { REDIS } from '../redis/redis.module';
import { TelegramLinksRepository } from './telegram-links.repository';

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
    private readonly links: TelegramLinksRepository,
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
    await this.links.link(userId, telegramChatId, telegramUsername);
    return userId;
  }

  async status(userId: string): Promise<LinkStatus> {
    const link = await this.links.findByUser(userId);
    if (!link) return { linked: false };
    return { linked: true, telegramUsername: link.telegramUsername, linkedAt: link.linkedAt.toISOString() };
  }

  async findChat(userId: string): Promise<number | null> {
    return (await this.links.findByUser(userId))?.telegramChatId ?? null;
  }

  /** Which of these users have a linked Telegram chat. */
  linkedAmong(userIds: string[]): Promise<string[]> {
    return this.links.linkedAmong(userIds);
  }

  unlink(userId: string): Promise<void> {
    return this.links.deleteByUser(userId);
  }

  /** /stop, or the user blocked the bot. Returns the user that was linked, if any. */
  unlinkChat(telegramChatId: number): Promise<string | null> {
    return this.links.deleteByChat(telegramChatId);
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
