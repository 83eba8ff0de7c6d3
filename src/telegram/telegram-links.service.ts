import { Inject, Injectable, Logger } from '@nestjs/common';
import { createHash, randomBytes } from 'crypto';
import Redis from 'ioredis';
import { AppError } from '../common/app-error';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { RateLimiter } from '../redis/rate-limiter';
import { REDIS } from '../redis/redis.module';
import { TelegramLinksRepository } from './telegram-links.repository';

export const LINK_TOKEN_TTL_SEC = 600;
/** Link tokens a user may create per minute. */
export const LINK_TOKENS_PER_MINUTE = 5;
/** The bot's username as getMe reported it (written by the worker at start and by the API when it asks). */
export const BOT_USERNAME_KEY = 'telegram:bot-username';
const hashOf = (token: string) => createHash('sha256').update(token).digest('hex');
const tokenKey = (hash: string) => `telegram:link-token:${hash}`;
const currentTokenKey = (userId: string) => `telegram:link-token-of:${userId}`;

// A new token replaces the user's previous one: the old token's key goes, so it can no longer link.
// KEYS: new token, the user's current-token pointer. ARGV: user id, new hash, ttl seconds.
const ISSUE = `
local previous = redis.call('GET', KEYS[2])
if previous then redis.call('DEL', 'telegram:link-token:' .. previous) end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3])
redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3])
return 1`;

// Spends a token at most once (GET + DEL in one step) and clears the user's pointer if it still names it.
// KEYS: the token. ARGV: its hash. Returns the user id, or nil.
const SPEND = `
local userId = redis.call('GET', KEYS[1])
if not userId then return nil end
redis.call('DEL', KEYS[1])
local pointer = 'telegram:link-token-of:' .. userId
if redis.call('GET', pointer) == ARGV[1] then redis.call('DEL', pointer) end
return userId`;

export interface LinkStatus {
  linked: boolean;
  /** This server has a bot (TELEGRAM_BOT_TOKEN): linking can work. */
  available: boolean;
  telegramUsername?: string | null;
  linkedAt?: string;
}

/** Linking a messenger account to a Telegram private chat: used by the API (tokens) and the bot (spending). */
@Injectable()
export class TelegramLinksService {
  private readonly logger = new Logger(TelegramLinksService.name);
  private botUsernameSeen?: string;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly links: TelegramLinksRepository,
    private readonly limiter: RateLimiter,
  ) {}

  /**
   * A one-time deep link: 192 random bits, stored only as a hash, valid for 10 minutes, and only the newest
   * one of a user works. Limited to LINK_TOKENS_PER_MINUTE per user.
   */
  async createLink(userId: string): Promise<{ url: string; expiresAt: string }> {
    const bot = await this.botUsername();
    const wait = await this.limiter.take(
      [{ key: `telegram:link-rate:${userId}`, limit: LINK_TOKENS_PER_MINUTE }],
      60_000,
    );
    if (wait !== null)
      throw new AppError('RATE_LIMITED', 'Too many Telegram links; try again shortly', undefined, wait);
    const token = randomBytes(24).toString('base64url');
    const hash = hashOf(token);
    await this.redis.eval(
      ISSUE,
      2,
      tokenKey(hash),
      currentTokenKey(userId),
      userId,
      hash,
      LINK_TOKEN_TTL_SEC,
    );
    return {
      url: `https://t.me/${bot}?start=${token}`,
      expiresAt: new Date(Date.now() + LINK_TOKEN_TTL_SEC * 1000).toISOString(),
    };
  }

  /** Spends a token (once) and links the Telegram chat to its user. */
  async spendToken(
    token: string,
    telegramChatId: number,
    telegramUsername: string | null,
  ): Promise<string | null> {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(token)) return null;
    const hash = hashOf(token);
    const userId = (await this.redis.eval(SPEND, 1, tokenKey(hash), hash)) as string | null;
    if (!userId) return null;
    await this.links.link(userId, telegramChatId, telegramUsername);
    return userId;
  }

  async status(userId: string): Promise<LinkStatus> {
    const link = await this.links.findByUser(userId);
    const available = Boolean(this.config.telegram.botToken);
    if (!link) return { linked: false, available };
    return {
      linked: true,
      available,
      telegramUsername: link.telegramUsername,
      linkedAt: link.linkedAt.toISOString(),
    };
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

  /**
   * TELEGRAM_BOT_USERNAME, else what getMe said: kept in memory, shared through Redis, and asked of the Bot API
   * by the API itself when Redis has lost it (so linking does not wait for a worker restart).
   */
  private async botUsername(): Promise<string> {
    const { botToken, botUsername, apiRoot } = this.config.telegram;
    if (!botToken) throw new AppError('TELEGRAM_UNAVAILABLE', 'Telegram notifications are not configured');
    if (botUsername) return botUsername;
    if (this.botUsernameSeen) return this.botUsernameSeen;
    const shared = await this.redis.get(BOT_USERNAME_KEY);
    if (shared) return (this.botUsernameSeen = shared);
    try {
      const res = await fetch(`${apiRoot}/bot${botToken}/getMe`, { signal: AbortSignal.timeout(5000) });
      const body = (await res.json()) as { ok?: boolean; result?: { username?: string } };
      if (!body.ok || !body.result?.username) throw new Error(`getMe answered ${res.status}`);
      this.botUsernameSeen = body.result.username;
      await this.redis.set(BOT_USERNAME_KEY, this.botUsernameSeen);
      return this.botUsernameSeen;
    } catch (err) {
      this.logger.warn(`could not learn the bot's username: ${String(err)}`);
      throw new AppError(
        'TELEGRAM_UNAVAILABLE',
        'The Telegram bot cannot be reached right now; try again shortly',
        undefined,
        5,
      );
    }
  }
}
