import { io, Socket } from 'socket.io-client';
import { TestUser } from '../../support/http';
import { Pair } from './stack';

/** Error codes a client must not retry: the request itself is wrong. Everything else is retried. */
const NON_RETRYABLE = new Set([
  'VALIDATION_FAILED',
  'BAD_REQUEST',
  'FORBIDDEN',
  'NOT_A_MEMBER',
  'CHAT_NOT_FOUND',
  'NOT_FOUND',
  'CLIENT_MSG_ID_CONFLICT',
]);

export type Outcome =
  | { kind: 'ok'; id: string; seq: number }
  | { kind: 'error'; code: string; retryAfter?: number; message: string }
  /** The socket closed before the ack: the client retries after reconnecting. */
  | { kind: 'disconnected' }
  /** No ack within ackTimeoutMs although the socket stayed connected: an unanswered request. */
  | { kind: 'timeout' };

export interface Attempt {
  clientMsgId: string;
  url: string;
  socketId: string;
  sentAt: number;
  answeredAt?: number;
  outcome?: Outcome;
}

export interface Outgoing {
  pair: Pair;
  clientMsgId: string;
  text: string;
  createdAt: number;
  attempts: Attempt[];
  acked?: { id: string; seq: number; at: number };
  /** A non-retryable error code: the driver gave up on this message. */
  rejected?: string;
}

export interface ClientEvent {
  at: number;
  user: string;
  role: 'sender' | 'receiver';
  url: string;
  type: 'connect' | 'disconnect' | 'connect_error' | 'server:shutdown' | 'session:ended' | 'relogin';
  detail?: unknown;
}

export interface Received {
  at: number;
  seq: number;
  chatId: string;
  clientMsgId: string;
  copies: number;
}

export interface LoadOptions {
  pairs: Pair[];
  /** Senders connect to the first URL and fail over to the next ones (in turn) when it goes away. */
  senderUrls: string[];
  receiverUrls: string[];
  /** Messages per second over all pairs. */
  rate: number;
  tag: string;
  ackTimeoutMs?: number;
}

/**
 * One real client (one user, one socket at a time) the way the web client behaves: it reconnects to another
 * instance when its socket closes or the server announces `server:shutdown`, logs in again when its session
 * is gone, and retries every unacknowledged send with the same clientMsgId.
 */
class DriverClient {
  socket?: Socket;
  /** Sockets that announced shutdown: still waited on for the acks of sends made through them. */
  private readonly draining = new Set<Socket>();
  /** Every socket ever opened, so close() also ends one still connecting. */
  private readonly all = new Set<Socket>();
  private urlIndex = 0;
  private closed = false;
  private reconnectTimer?: NodeJS.Timeout;
  private failures = 0;
  private opening = false;

  constructor(
    private readonly driver: LoadDriver,
    readonly user: TestUser,
    readonly role: 'sender' | 'receiver',
    private readonly urls: string[],
  ) {}

  get url(): string {
    return this.urls[this.urlIndex % this.urls.length];
  }

  get ready(): boolean {
    return !!this.socket?.connected;
  }

  /** The first connection must succeed: the fault has not happened yet. */
  connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = this.newSocket(this.url);
      socket.once('connect', () => resolve());
      socket.once('connect_error', (err: any) => {
        this.closed = true;
        reject(new Error(`${this.role} ${this.user.username}: ${err?.message}`));
      });
    });
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    for (const s of this.all) s.disconnect();
  }

  private event(type: ClientEvent['type'], url: string, detail?: unknown): void {
    this.driver.events.push({ at: Date.now(), user: this.user.id, role: this.role, url, type, detail });
  }

  private newSocket(url: string): Socket {
    const socket = io(url, {
      path: '/socket.io',
      auth: { token: this.user.accessToken },
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      timeout: 5000,
    });
    this.all.add(socket);
    this.opening = true;
    socket.on('connect', () => {
      this.opening = false;
      this.failures = 0;
      const previous = this.socket;
      this.socket = socket;
      // An old socket that announced shutdown keeps delivering acks until the server closes it.
      if (previous && previous !== socket && previous.connected) this.draining.add(previous);
      this.event('connect', url);
      this.driver.flush(this);
    });
    socket.on('disconnect', (reason) => {
      this.all.delete(socket);
      this.event('disconnect', url, reason);
      this.draining.delete(socket);
      if (this.socket === socket) {
        this.socket = undefined;
        if (!this.opening) this.scheduleReconnect(true);
      }
    });
    socket.on('connect_error', (err: Error & { data?: { code?: string } }) => {
      this.opening = false;
      this.event('connect_error', url, { message: err.message, data: err.data });
      socket.close();
      this.all.delete(socket);
      if (this.closed) return;
      if (err.data?.code === 'UNAUTHORIZED') void this.relogin(url);
      else this.scheduleReconnect(true);
    });
    socket.on('server:shutdown', (payload: unknown) => {
      this.event('server:shutdown', url, payload);
      if (this.closed || this.socket !== socket || this.urls.length < 2) return;
      // Move at once: the new socket takes over the sends; this one still receives its pending acks.
      this.urlIndex += 1;
      this.draining.add(socket);
      this.socket = undefined;
      this.newSocket(this.url);
    });
    socket.on('session:ended', (payload: unknown) => this.event('session:ended', url, payload));
    if (this.role === 'receiver')
      socket.on('message:new', (m: { id: string; seq: number; chatId: string; clientMsgId: string }) =>
        this.driver.onReceived(this.user.id, m),
      );
    return socket;
  }

  private scheduleReconnect(rotate: boolean): void {
    if (this.closed || this.reconnectTimer) return;
    this.failures += 1;
    if (rotate) this.urlIndex += 1;
    const delay = Math.min(1000, 50 * 2 ** Math.min(this.failures, 5));
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (!this.closed && !this.socket) this.newSocket(this.url);
    }, delay);
  }

  /** An ack said UNAUTHORIZED: the session is gone. Drop the socket, log in again, reconnect. */
  reauthenticate(): void {
    const socket = this.socket;
    if (!socket || this.closed) return;
    this.socket = undefined; // so its disconnect schedules nothing: relogin() reconnects
    socket.disconnect();
    void this.relogin(this.url);
  }

  /** The session is gone (Redis lost it): log in again with the password, as a user would. */
  private async relogin(url: string): Promise<void> {
    try {
      const res = await fetch(`${url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ login: this.user.username, password: this.user.password }),
        signal: AbortSignal.timeout(10_000),
      });
      const body: any = await res.json().catch(() => undefined);
      this.event('relogin', url, { status: res.status });
      if (res.status === 200) {
        this.user.accessToken = body.accessToken;
        this.user.refreshToken = body.refreshToken;
      }
    } catch (err) {
      this.event('relogin', url, { error: String(err) });
    }
    this.scheduleReconnect(false);
  }
}

/**
 * N sender/receiver pairs under a steady load: unique clientMsgIds, every ack tracked, un-acked sends
 * retried with the same clientMsgId after reconnecting, every `message:new` recorded per receiver
 * (de-duplicated by id, as the contract tells clients to).
 */
export class LoadDriver {
  readonly outgoing: Outgoing[] = [];
  readonly attempts: Attempt[] = [];
  readonly events: ClientEvent[] = [];
  /** receiver user id -> message id -> first arrival. */
  readonly received = new Map<string, Map<string, Received>>();
  readonly senders = new Map<string, DriverClient>();
  readonly receivers = new Map<string, DriverClient>();
  private readonly pending = new Map<string, Outgoing[]>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private generator?: NodeJS.Timeout;
  private counter = 0;
  readonly ackTimeoutMs: number;

  constructor(private readonly options: LoadOptions) {
    this.ackTimeoutMs = options.ackTimeoutMs ?? 10_000;
    for (const pair of options.pairs) {
      this.senders.set(pair.sender.id, new DriverClient(this, pair.sender, 'sender', options.senderUrls));
      this.receivers.set(
        pair.receiver.id,
        new DriverClient(this, pair.receiver, 'receiver', options.receiverUrls),
      );
      this.received.set(pair.receiver.id, new Map());
      this.pending.set(pair.sender.id, []);
    }
  }

  async connect(): Promise<void> {
    await Promise.all([...this.receivers.values(), ...this.senders.values()].map((c) => c.connect()));
  }

  /** Starts sending `rate` messages per second, round-robin over the pairs. */
  start(): void {
    let budget = 0;
    let last = Date.now();
    this.generator = setInterval(() => {
      const now = Date.now();
      budget += ((now - last) * this.options.rate) / 1000;
      last = now;
      for (; budget >= 1; budget -= 1) this.generate();
    }, 20);
  }

  stopGenerating(): void {
    clearInterval(this.generator);
    this.generator = undefined;
  }

  /** Runs the load for `ms`. */
  async runFor(ms: number): Promise<void> {
    if (!this.generator) this.start();
    await new Promise((r) => setTimeout(r, ms));
  }

  /** Stops generating and waits until every message is acknowledged (or rejected) or the time is up. */
  async finish(timeoutMs = 30_000): Promise<Outgoing[]> {
    this.stopGenerating();
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && this.outgoing.some((o) => !o.acked && !o.rejected))
      await new Promise((r) => setTimeout(r, 100));
    return this.outgoing.filter((o) => !o.acked && !o.rejected);
  }

  close(): void {
    this.stopGenerating();
    for (const t of this.timers) clearTimeout(t);
    for (const c of [...this.senders.values(), ...this.receivers.values()]) c.close();
  }

  /** Sends whatever waits for this client, now that it has a connected socket. */
  flush(client: DriverClient): void {
    if (client.role !== 'sender') return;
    const queue = this.pending.get(client.user.id)!;
    while (queue.length && client.ready) this.emit(client, queue.shift()!);
  }

  onReceived(receiverId: string, m: { id: string; seq: number; chatId: string; clientMsgId: string }): void {
    const seen = this.received.get(receiverId)!;
    const known = seen.get(m.id);
    if (known) known.copies += 1;
    else
      seen.set(m.id, { at: Date.now(), seq: m.seq, chatId: m.chatId, clientMsgId: m.clientMsgId, copies: 1 });
  }

  private generate(): void {
    const pairs = this.options.pairs;
    const pair = pairs[this.counter % pairs.length];
    const n = Math.floor(this.counter / pairs.length);
    this.counter += 1;
    const out: Outgoing = {
      pair,
      clientMsgId: `${this.options.tag}-${pair.index}-${n}`,
      text: `load ${this.options.tag} pair ${pair.index} message ${n}`,
      createdAt: Date.now(),
      attempts: [],
    };
    this.outgoing.push(out);
    this.send(out);
  }

  private send(out: Outgoing): void {
    const client = this.senders.get(out.pair.sender.id)!;
    if (client.ready) this.emit(client, out);
    else this.pending.get(out.pair.sender.id)!.push(out);
  }

  private retryLater(out: Outgoing, ms: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.send(out);
    }, ms);
    this.timers.add(timer);
  }

  private emit(client: DriverClient, out: Outgoing): void {
    const socket = client.socket!;
    const attempt: Attempt = {
      clientMsgId: out.clientMsgId,
      url: client.url,
      socketId: socket.id ?? '',
      sentAt: Date.now(),
    };
    out.attempts.push(attempt);
    this.attempts.push(attempt);
    socket
      .timeout(this.ackTimeoutMs)
      .emit(
        'message:send',
        { chatId: out.pair.chatId, text: out.text, clientMsgId: out.clientMsgId },
        (err: Error | null, ack: any) => {
          attempt.answeredAt = Date.now();
          if (err) {
            attempt.outcome = /disconnected/.test(err.message)
              ? { kind: 'disconnected' }
              : { kind: 'timeout' };
            if (!out.acked) this.send(out);
            return;
          }
          if (ack?.ok) {
            attempt.outcome = { kind: 'ok', id: ack.data.id, seq: ack.data.seq };
            out.acked ??= { id: ack.data.id, seq: ack.data.seq, at: attempt.answeredAt };
            return;
          }
          const code = String(ack?.error?.code ?? 'NO_ERROR_CODE');
          attempt.outcome = {
            kind: 'error',
            code,
            retryAfter: ack?.error?.retryAfter,
            message: String(ack?.error?.message ?? JSON.stringify(ack)),
          };
          if (out.acked) return;
          if (NON_RETRYABLE.has(code)) out.rejected = code;
          else if (code === 'UNAUTHORIZED') {
            client.reauthenticate();
            this.send(out);
          } else {
            // retryAfter is in seconds; a client may come back sooner, and a short test must.
            const wait = Math.min(1000, Math.max(100, Number(ack?.error?.retryAfter ?? 0.2) * 1000));
            this.retryLater(out, wait);
          }
        },
      );
  }

  /** Counts of attempt outcomes, e.g. { ok: 1200, disconnected: 14, 'error:UNAVAILABLE': 30 }, for messages. */
  outcomeCounts(filter: (a: Attempt) => boolean = () => true): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const a of this.attempts.filter(filter)) {
      const key = !a.outcome
        ? 'unanswered'
        : a.outcome.kind === 'error'
          ? `error:${a.outcome.code}`
          : a.outcome.kind;
      counts[key] = (counts[key] ?? 0) + 1;
    }
    return counts;
  }
}

/** "error INTERNAL (retryAfter -), 757 ms": one send attempt in a failure message. */
export function describeAttempt(x: Attempt): string {
  const took = x.answeredAt ? `${x.answeredAt - x.sentAt} ms` : 'unanswered';
  if (x.outcome?.kind === 'error')
    return `${x.clientMsgId}: error ${x.outcome.code} (retryAfter ${x.outcome.retryAfter ?? '-'}), ${took}`;
  return `${x.clientMsgId}: ${x.outcome?.kind ?? 'pending'}, ${took}`;
}

/** The contract's answer for a passing outage: `{ ok: false, error: { code: 'UNAVAILABLE', retryAfter } }`. */
export function isUnavailable(x: Attempt): boolean {
  return (
    x.outcome?.kind === 'error' &&
    x.outcome.code === 'UNAVAILABLE' &&
    typeof x.outcome.retryAfter === 'number'
  );
}
