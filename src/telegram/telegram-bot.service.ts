import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { randomUUID } from 'crypto';
import Redis from 'ioredis';
import { Telegraf } from 'telegraf';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { REDIS } from '../redis/redis.module';
import { SocketEmitter } from '../realtime/socket-emitter';
import { BOT_USERNAME_KEY, TelegramLinksService } from './telegram-links.service';

const POLL_LOCK = 'telegram:poller';
const POLL_LOCK_MS = 15_000;
// Extends the lock only while we still hold it.
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/**
 * The Telegram bot (worker only): /start <token> links, /stop unlinks. Long polling, by one worker at a time:
 * Telegram answers a second concurrent getUpdates with 409, so workers take turns through a Redis lock.
 */
@Injectable()
export class TelegramBotService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(TelegramBotService.name);
  readonly bot?: Telegraf;
  private readonly instanceId = randomUUID();
  private lockTimer?: NodeJS.Timeout;
  private polling = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly links: TelegramLinksService,
    private readonly sockets: SocketEmitter,
  ) {
    if (config.telegram.botToken) {
      this.bot = new Telegraf(config.telegram.botToken, { telegram: { apiRoot: config.telegram.apiRoot } });
      this.registerCommands(this.bot);
    }
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.bot) {
      this.logger.debug('TELEGRAM_BOT_TOKEN is not set: the Telegram bot is off');
      return;
    }
    const me = await this.bot.telegram.getMe();
    this.bot.botInfo = me;
    await this.redis.set(BOT_USERNAME_KEY, this.config.telegram.botUsername ?? me.username);
    this.logger.debug(`Telegram bot @${me.username} ready`);
    // At start-up the worker's start line says whether this worker polls (startLine); a takeover later
    // (another worker died) is news of its own.
    await this.tryToPoll('debug');
    this.lockTimer = setInterval(() => void this.tryToPoll('log'), POLL_LOCK_MS / 3);
    this.lockTimer.unref();
  }

  /** What the worker's one start-up line says about the bot. */
  get startLine(): string {
    if (!this.bot) return 'Telegram bot off (TELEGRAM_BOT_TOKEN is not set)';
    const bot = `Telegram bot @${this.bot.botInfo?.username ?? '?'}`;
    return this.polling ? `${bot}, polling Telegram for updates` : `${bot}, another worker polls Telegram`;
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.lockTimer);
    if (this.polling) this.bot?.stop('shutdown');
    await this.redis.eval(RELEASE, 1, POLL_LOCK, this.instanceId).catch(() => undefined);
  }

  /** Plain text: user text is never interpreted as markup. A call that hangs is abandoned (and retried). */
  async send(telegramChatId: number, text: string, timeoutMs: number): Promise<void> {
    await this.bot!.telegram.callApi(
      'sendMessage',
      { chat_id: telegramChatId, text, link_preview_options: { is_disabled: true } },
      // Telegraf's types name the abort-controller polyfill; node-fetch takes the built-in signal as well.
      { signal: AbortSignal.timeout(timeoutMs) as never },
    );
  }

  private async tryToPoll(announce: 'log' | 'debug'): Promise<void> {
    try {
      if (this.polling) {
        if (Number(await this.redis.eval(RENEW, 1, POLL_LOCK, this.instanceId, POLL_LOCK_MS)) === 0) {
          this.logger.warn('lost the polling lock; stopping polling');
          this.polling = false;
          this.bot!.stop('lost lock');
        }
        return;
      }
      if ((await this.redis.set(POLL_LOCK, this.instanceId, 'PX', POLL_LOCK_MS, 'NX')) !== 'OK') return;
      this.polling = true;
      // launch() resolves only when polling stops, so it is not awaited.
      this.bot!.launch({ dropPendingUpdates: false }).catch((err: unknown) => {
        this.polling = false;
        this.logger.error(`polling stopped: ${String(err)}`);
      });
      this.logger[announce]('polling Telegram for updates');
    } catch (err) {
      this.logger.warn(`polling lock: ${String(err)}`);
    }
  }

  private registerCommands(bot: Telegraf): void {
    bot.start(async (ctx) => {
      if (ctx.chat.type !== 'private') return ctx.reply('Please talk to me in a private chat.');
      const token = ctx.payload.trim();
      if (!token) {
        return ctx.reply(
          'Hi! To get notifications here, open "Connect Telegram" in the messenger and follow its link.',
        );
      }
      const userId = await this.links.spendToken(token, ctx.chat.id, ctx.from?.username ?? null);
      if (!userId) {
        return ctx.reply(
          'This link is invalid, expired or already used. Create a new one with "Connect Telegram" in the messenger.',
        );
      }
      this.sockets.toUser(userId, 'telegram:linked', { telegramUsername: ctx.from?.username ?? null });
      return ctx.reply(
        'Linked! You will get a message here when something arrives while you are offline. Send /stop to unlink.',
      );
    });
    bot.command('stop', async (ctx) => {
      const userId = await this.links.unlinkChat(ctx.chat.id);
      return ctx.reply(
        userId
          ? 'Unlinked. You will get no more notifications here.'
          : 'This chat is not linked to any account.',
      );
    });
    bot.catch((err) => this.logger.error(`bot update failed: ${String(err)}`));
  }
}
