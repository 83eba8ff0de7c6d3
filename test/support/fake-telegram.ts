import { createServer, IncomingMessage, Server, ServerResponse } from 'http';

export interface SentMessage {
  chat_id: number;
  text: string;
}

interface Failure {
  status: number;
  body: Record<string, unknown>;
}

/**
 * A local HTTP server speaking enough of the Telegram Bot API for the real Telegraf: getMe, getUpdates
 * (long poll over updates the test injects), sendMessage (recorded), and failures on demand (429, 403...).
 */
export class FakeTelegram {
  readonly botUsername = 'messenger_test_bot';
  readonly sent: SentMessage[] = [];
  readonly calls: { method: string; body: any }[] = [];
  private updates: any[] = [];
  private nextUpdateId = 1;
  private failures = new Map<string, Failure[]>();
  private holds = new Map<string, number>();
  /** Calls held by holdNext(): recorded in `calls`, not answered (nor counted in `sent`) until released. */
  readonly held: { method: string; body: any; release: () => void }[] = [];
  private pollWaiters: (() => void)[] = [];
  private sentWaiters: { match: (m: SentMessage) => boolean; resolve: (m: SentMessage) => void }[] = [];
  private server: Server;
  url = '';

  static async start(): Promise<FakeTelegram> {
    const fake = new FakeTelegram();
    fake.server = createServer((req, res) => void fake.handle(req, res));
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    fake.url = `http://127.0.0.1:${(fake.server.address() as { port: number }).port}`;
    return fake;
  }

  async stop(): Promise<void> {
    this.pollWaiters.splice(0).forEach((w) => w());
    this.held.forEach((h) => h.release());
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  /** A private-chat text message from a Telegram user, as getUpdates would deliver it. */
  injectText(chatId: number, username: string, text: string): void {
    const command = /^\/\w+/.exec(text)?.[0];
    const id = this.nextUpdateId++;
    this.updates.push({
      update_id: id,
      message: {
        message_id: id,
        date: Math.floor(Date.now() / 1000),
        chat: { id: chatId, type: 'private', username, first_name: username },
        from: { id: chatId, is_bot: false, first_name: username, username },
        text,
        ...(command ? { entities: [{ type: 'bot_command', offset: 0, length: command.length }] } : {}),
      },
    });
    this.pollWaiters.splice(0).forEach((w) => w());
  }

  /** The next `count` calls of `method` fail with this HTTP status and Bot API error body. */
  failNext(
    method: string,
    status: number,
    description: string,
    parameters?: Record<string, unknown>,
    count = 1,
  ): void {
    const list = this.failures.get(method) ?? [];
    for (let i = 0; i < count; i++)
      list.push({ status, body: { ok: false, error_code: status, description, parameters } });
    this.failures.set(method, list);
  }

  /**
   * The next `count` calls of `method` hang: a slow Bot API, so a test can kill the caller mid-call. A held
   * sendMessage counts as sent only if release() lets it through while its caller still waits.
   */
  holdNext(method: string, count = 1): void {
    this.holds.set(method, (this.holds.get(method) ?? 0) + count);
  }

  sentTo(chatId: number): SentMessage[] {
    return this.sent.filter((m) => m.chat_id === chatId);
  }

  waitForSent(
    chatId: number,
    predicate: (m: SentMessage) => boolean = () => true,
    timeoutMs = 10000,
  ): Promise<SentMessage> {
    const match = (m: SentMessage) => m.chat_id === chatId && predicate(m);
    const seen = this.sent.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no sendMessage to ${chatId} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.sentWaiters.push({
        match,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const match = /^\/bot[^/]+\/(\w+)/.exec(req.url ?? '');
    const method = match?.[1] ?? '';
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString();
    const body = raw ? JSON.parse(raw) : {};
    this.calls.push({ method, body });

    const failure = this.failures.get(method)?.shift();
    if (failure) return this.reply(res, failure.status, failure.body);
    if ((this.holds.get(method) ?? 0) > 0) {
      this.holds.set(method, this.holds.get(method)! - 1);
      await new Promise<void>((release) => this.held.push({ method, body, release }));
      if (res.destroyed || req.socket.destroyed) return; // the caller is gone (killed): never answered
    }

    switch (method) {
      case 'getMe':
        return this.ok(res, {
          id: 424242,
          is_bot: true,
          first_name: 'Messenger',
          username: this.botUsername,
        });
      case 'getUpdates':
        return this.ok(res, await this.poll(Number(body.offset ?? 0)));
      case 'sendMessage': {
        const message = { chat_id: Number(body.chat_id), text: String(body.text) };
        this.sent.push(message);
        this.sentWaiters = this.sentWaiters.filter((w) =>
          w.match(message) ? (w.resolve(message), false) : true,
        );
        return this.ok(res, {
          message_id: this.sent.length,
          date: Math.floor(Date.now() / 1000),
          chat: { id: message.chat_id, type: 'private' },
          text: message.text,
        });
      }
      default:
        return this.ok(res, true); // deleteWebhook, setMyCommands, ...
    }
  }

  /** Long poll: answers at once when updates are waiting, otherwise after a short hold. */
  private async poll(offset: number): Promise<any[]> {
    this.updates = this.updates.filter((u) => u.update_id >= offset);
    if (this.updates.length === 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 500);
        this.pollWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.updates.filter((u) => u.update_id >= offset);
  }

  private ok(res: ServerResponse, result: unknown): void {
    this.reply(res, 200, { ok: true, result });
  }

  private reply(res: ServerResponse, status: number, body: unknown): void {
    if (res.writableEnded) return;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }
}
