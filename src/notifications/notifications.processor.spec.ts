import type { Job } from 'bull';
import { TelegramError } from 'telegraf';
import { mockOf } from '../../test/unit/mocks';
import { Metrics } from '../common/metrics';
import { AppConfig, loadConfig } from '../config/app-config';
import { MessagesRepository, UnreadForNotification } from '../messages/messages.repository';
import { PresenceStore } from '../presence/presence.store';
import { TelegramBotService } from '../telegram/telegram-bot.service';
import { TelegramLinksService } from '../telegram/telegram-links.service';
import { BULL_LOCK_MS, NotifyJob, RetryLaterError } from './notification-queue';
import { NotificationState } from './notification-state';
import { NotificationsProcessor } from './notifications.processor';

const USER = '00000000-0000-4000-8000-00000000000a';
const CHAT = '00000000-0000-4000-8000-0000000000c1';
const TG_CHAT = 4242;

const unread = (seq: number, text = `m${seq}`): UnreadForNotification => ({
  seq,
  text,
  senderName: 'Bob',
  chatType: 'direct',
  groupName: null,
});

function setup() {
  const config: AppConfig = loadConfig({ PUBLIC_URL: 'https://chat.example.com' });
  const state = mockOf<NotificationState>();
  const messages = mockOf<MessagesRepository>();
  const presence = mockOf<PresenceStore>();
  const links = mockOf<TelegramLinksService>();
  const bot = mockOf<TelegramBotService>();
  (bot as { bot: unknown }).bot = {}; // the bot is configured
  const processor = new NotificationsProcessor(config, state, messages, presence, links, bot, new Metrics());
  state.lock.mockResolvedValue(0);
  state.takeChatSlot.mockResolvedValue(true);
  state.notifiedSeq.mockResolvedValue(0);
  presence.isOnline.mockResolvedValue(false);
  links.findChat.mockResolvedValue(TG_CHAT);
  const job = { id: 'job-1', data: { userId: USER, chatId: CHAT } } as Job<NotifyJob>;
  return { processor, state, messages, presence, links, bot, job };
}

const telegramError = (code: number, description: string, parameters?: { retry_after?: number }) =>
  new TelegramError({ error_code: code, description, parameters });

describe('NotificationsProcessor: what gets gathered', () => {
  it('gathers everything unread and not yet notified into one message, then records how far it got', async () => {
    const t = setup();
    t.state.notifiedSeq.mockResolvedValue(3);
    t.messages.unreadForNotification.mockResolvedValue([unread(4), unread(5), unread(6)]);
    expect(await t.processor.notify(t.job)).toBe('sent');
    expect(t.messages.unreadForNotification).toHaveBeenCalledWith(USER, CHAT, 3);
    expect(t.bot.send).toHaveBeenCalledTimes(1);
    const [chatId, text] = t.bot.send.mock.calls[0];
    expect(chatId).toBe(TG_CHAT);
    expect(text).toContain('3 new messages from Bob');
    expect(text).toContain(`https://chat.example.com/?chat=${CHAT}`);
    expect(t.state.recordNotified).toHaveBeenCalledWith(USER, CHAT, 6);
    expect(t.state.unlock).toHaveBeenCalledWith(USER, CHAT, 'job-1');
  });

  it.each([
    ['online', (t: ReturnType<typeof setup>) => t.presence.isOnline.mockResolvedValue(true)],
    ['unlinked', (t: ReturnType<typeof setup>) => t.links.findChat.mockResolvedValue(null)],
    [
      'nothing-unread',
      (t: ReturnType<typeof setup>) => t.messages.unreadForNotification.mockResolvedValue([]),
    ],
  ])('sends nothing when the user is %s', async (outcome, arrange) => {
    const t = setup();
    t.messages.unreadForNotification.mockResolvedValue([unread(1)]);
    arrange(t);
    expect(await t.processor.notify(t.job)).toBe(outcome);
    expect(t.bot.send).not.toHaveBeenCalled();
    expect(t.state.recordNotified).not.toHaveBeenCalled();
  });

  it('closes the gathering window before it gathers, so a later message opens a new one', async () => {
    const t = setup();
    t.messages.unreadForNotification.mockResolvedValue([]);
    await t.processor.notify(t.job);
    expect(t.state.closeWindow.mock.invocationCallOrder[0]).toBeLessThan(
      t.messages.unreadForNotification.mock.invocationCallOrder[0],
    );
  });

  it('paces one message per second per Telegram chat: a busy slot retries after a second', async () => {
    const t = setup();
    t.messages.unreadForNotification.mockResolvedValue([unread(1)]);
    t.state.takeChatSlot.mockResolvedValue(false);
    await expect(t.processor.notify(t.job)).rejects.toMatchObject({ retryAfterMs: 1000 });
    expect(t.bot.send).not.toHaveBeenCalled();
  });
});

describe('NotificationsProcessor: the per-(user, chat) lock', () => {
  it('another job holding it: retry once it frees up, without touching Telegram', async () => {
    const t = setup();
    t.state.lock.mockResolvedValue(2500);
    await expect(t.processor.notify(t.job)).rejects.toMatchObject({ retryAfterMs: 2600 });
    expect(t.bot.send).not.toHaveBeenCalled();
    expect(t.state.unlock).not.toHaveBeenCalled();
  });

  it('asks for the lock as this job, for less time than Bull waits before re-running a stalled job', async () => {
    const t = setup();
    t.messages.unreadForNotification.mockResolvedValue([]);
    await t.processor.notify(t.job);
    const [, , owner, ttl] = t.state.lock.mock.calls[0];
    expect(owner).toBe('job-1');
    expect(ttl).toBeLessThan(BULL_LOCK_MS);
  });
});

describe('NotificationsProcessor: the Telegram error policy', () => {
  it('429 retries after Telegram’s retry_after and records nothing', async () => {
    const t = setup();
    t.messages.unreadForNotification.mockResolvedValue([unread(1)]);
    t.bot.send.mockRejectedValue(telegramError(429, 'Too Many Requests', { retry_after: 7 }));
    const failure = t.processor.notify(t.job);
    await expect(failure).rejects.toBeInstanceOf(RetryLaterError);
    await expect(failure).rejects.toMatchObject({ retryAfterMs: 7000 });
    expect(t.state.recordNotified).not.toHaveBeenCalled();
  });

  it('403 (blocked by the user) unlinks and gives up', async () => {
    const t = setup();
    t.messages.unreadForNotification.mockResolvedValue([unread(1)]);
    t.bot.send.mockRejectedValue(telegramError(403, 'Forbidden: bot was blocked by the user'));
    expect(await t.processor.notify(t.job)).toBe('blocked');
    expect(t.links.unlinkChat).toHaveBeenCalledWith(TG_CHAT);
  });

  it('5xx and network errors are thrown (Bull retries with backoff); other 4xx give up', async () => {
    const t = setup();
    t.messages.unreadForNotification.mockResolvedValue([unread(1)]);
    t.bot.send.mockRejectedValueOnce(telegramError(502, 'Bad Gateway'));
    await expect(t.processor.notify(t.job)).rejects.toBeInstanceOf(TelegramError);
    t.bot.send.mockRejectedValueOnce(new Error('ECONNRESET'));
    await expect(t.processor.notify(t.job)).rejects.toThrow('ECONNRESET');
    t.bot.send.mockRejectedValueOnce(telegramError(400, 'Bad Request: chat not found'));
    expect(await t.processor.notify(t.job)).toBe('rejected');
    expect(t.state.recordNotified).not.toHaveBeenCalled();
    expect(t.state.unlock).toHaveBeenCalledTimes(3); // the lock is released on every outcome
  });
});
