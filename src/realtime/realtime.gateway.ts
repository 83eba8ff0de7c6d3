import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Server as HttpServer } from 'http';
import Redis from 'ioredis';
import { Server, Socket } from 'socket.io';
import '../auth/auth.events';
import type { SessionEndedEvent } from '../auth/auth.events';
import { AuthService } from '../auth/auth.service';
import { AccessService } from '../chats/access.service';
import { unavailable } from '../common/app-error';
import { OnAppEvent } from '../common/events';
import { Lifecycle } from '../common/lifecycle';
import { Metrics } from '../common/metrics';
import { isUnavailable } from '../common/unavailable';
import { Ack, toAck } from '../common/socket-ack';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import '../inbox/inbox.events';
import type { ChatRemovedEvent, ChatsChangedEvent } from '../inbox/inbox.events';
import '../messages/messages.events';
import { DeliveryOutbox } from '../messages/delivery-outbox';
import { MessageDelivery } from '../messages/message-delivery';
import type { MessageChangedEvent, MessagesCreatedEvent, ReceiptEvent } from '../messages/messages.events';
import { MessagesService } from '../messages/messages.service';
import { SendBatcher } from '../messages/send-batcher';
import '../presence/presence.events';
import type { PresenceChangedEvent } from '../presence/presence.events';
import { PresenceService } from '../presence/presence.service';
import { createRedisAdapter } from './redis-adapter';
import { MessageFanout } from './message-fanout';
import { fanoutChannel, userRoom } from './rooms';
import {
  ClientToServerEvents,
  InterServerEvents,
  ServerToClientEvents,
  SessionEndReason,
  SocketData,
} from './socket-events';
import { parseMarkRead, parseSendMessage, parseTyping } from './socket-payloads';
import { TypingThrottle } from './typing-throttle';

type AppServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
type AppSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

/** Published batches are acknowledged to the outbox together, this often (far below REDELIVER_AFTER_MS). */
const ACK_EVERY_MS = 100;

/** At shutdown, how long a running redelivery sweep, then unanswered publications, are waited for. */
const SWEEP_GRACE_MS = 2000;

/** After SIGTERM, how long readiness says 503 while everything is still served. */
const READINESS_GRACE_MS = 1000;

/** Between server:shutdown and closing the transports. */
const MOVE_GRACE_MS = 250;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** How long an instance remembers a session that ended, to refuse a handshake that raced the news. */
const ENDED_SESSION_MEMORY_MS = 30_000;

/**
 * Translates between Socket.IO and the services, nothing more: it authenticates the handshake, puts every
 * socket of a user in that user's room, turns client events into service calls with acks, and turns the
 * services' internal events into socket events sent to the members' rooms (on every instance, through the
 * Redis adapter). A plain Socket.IO server on Nest's HTTP server: handlers are bound once per socket with
 * `socket.on`, without a per-socket, per-handler observable chain.
 *
 * A socket lives only as long as its session and its access token: a session that ends (logout, deletion,
 * refresh-token reuse) ends its sockets on every instance, and a socket whose token expires is closed, each
 * with a last `session:ended`.
 */
@Injectable()
export class RealtimeGateway
  implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown
{
  private readonly logger = new Logger(RealtimeGateway.name);
  private server?: AppServer;
  private pub?: Redis;
  private fanout?: MessageFanout;
  private closeAdapter?: () => Promise<void>;
  private expirySweep?: NodeJS.Timeout;
  /** Set once clients have been told to move: their disconnects are not offline transitions. */
  private moving = false;
  /** Outbox entries published and not yet acknowledged (one ZREM for all of them, every ACK_EVERY_MS). */
  private published: string[] = [];
  /** Fan-out publications not yet answered by Redis (shutdown waits for them before the last ack). */
  private readonly publishing = new Set<Promise<void>>();
  private ackTimer?: NodeJS.Timeout;
  private readonly endedSessions = new Map<string, number>();

  constructor(
    private readonly http: HttpAdapterHost,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly auth: AuthService,
    private readonly messages: MessagesService,
    private readonly access: AccessService,
    private readonly presence: PresenceService,
    private readonly batcher: SendBatcher,
    private readonly outbox: DeliveryOutbox,
    private readonly delivery: MessageDelivery,
    private readonly lifecycle: Lifecycle,
    private readonly metrics: Metrics,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const server: AppServer = new Server(this.http.httpAdapter.getHttpServer(), {
      path: '/socket.io',
      // Same ceiling as REST bodies: a 4096-character message fits many times over.
      maxHttpBufferSize: this.config.bodyLimitBytes,
    });
    const redis = createRedisAdapter(this.config.redisUrl, this.presence.instanceId, () =>
      this.metrics.publishFailures.inc(),
    );
    server.adapter(redis.adapter);
    this.pub = redis.pub;
    this.closeAdapter = redis.close;
    this.fanout = new MessageFanout(
      server,
      redis.pub,
      redis.sub,
      fanoutChannel(this.config.redisUrl),
      this.presence.instanceId,
      (userIds, since) => this.messages.recentFor(userIds, since),
    );
    await this.fanout.start();
    // A missing, bad or revoked token never connects: the client gets connect_error.
    // Redis down is "try again" (UNAVAILABLE), never "your token is bad" (UNAUTHORIZED).
    server.use((socket, next) => {
      if (this.lifecycle.draining) return next(connectError('UNAVAILABLE'));
      this.auth.authenticateToken(socket.handshake.auth?.token).then(
        ({ user, expiresAt }) => {
          if (this.endedSessions.has(user.sessionId)) return next(connectError('UNAUTHORIZED'));
          socket.data.user = user;
          socket.data.expiresAt = expiresAt;
          next();
        },
        (err) => next(connectError(isUnavailable(err) ? 'UNAVAILABLE' : 'UNAUTHORIZED')),
      );
    });
    server.on('connection', (socket) => this.onConnection(socket));
    server.on('session:end', (payload) =>
      this.endSessionHere(payload.userId, payload.sessionId, payload.reason),
    );
    this.server = server;
    this.metrics.gauge('socket_connected', 'Sockets connected to this instance.', [], (set) =>
      set(server.engine.clientsCount),
    );
    this.presence.start(() =>
      [...server.sockets.sockets.values()].map((s) => ({ userId: s.data.user.userId, socketId: s.id })),
    );
    this.delivery.start();
    this.expirySweep = setInterval(() => this.closeExpired(), 1000);
    this.expirySweep.unref();
  }

  /**
   * Graceful shutdown (SIGTERM), in this order: refuse new work (readiness 503, HTTP 503, socket events and
   * handshakes UNAVAILABLE); let accepted sends commit, publish and ack, and HTTP requests finish, for at most
   * SHUTDOWN_DRAIN_MS; tell every client to move (server:shutdown, then the transport closes, so even a client
   * that ignores the event reconnects — to another instance); only then do Redis and PostgreSQL close.
   */
  async beforeApplicationShutdown(): Promise<void> {
    // Readiness first, while still serving, so a load balancer that polls it moves traffic without refusals.
    this.lifecycle.announceLeaving();
    await sleep(Math.min(READINESS_GRACE_MS, this.config.shutdownDrainMs / 2));
    this.lifecycle.startDraining();
    const drained = Promise.all([this.batcher.idle(), this.lifecycle.httpIdle()]).then(() => true);
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      drained,
      new Promise<false>(
        (resolve) => (timer = setTimeout(() => resolve(false), this.config.shutdownDrainMs)),
      ),
    ]);
    clearTimeout(timer);
    if (!finished)
      this.logger.warn(`drain not finished within ${this.config.shutdownDrainMs} ms; closing anyway`);
    this.moving = true;
    clearInterval(this.expirySweep);
    // A sweep in progress publishes to this instance's sockets too: let it finish while they are still here
    // (for a while: a slow PostgreSQL must not keep clients from being told to move).
    await Promise.race([this.delivery.stop(), sleep(SWEEP_GRACE_MS)]);
    if (this.server) {
      this.server.local.emit('server:shutdown', { reconnectAfterMs: 0 });
      // A client that reads the event and the close in one go may drop the event (socket.io-client hands
      // packets on a tick later): give it a moment to read the event, and to move by itself.
      await sleep(MOVE_GRACE_MS);
      for (const socket of this.server.sockets.sockets.values()) socket.conn.close();
      // A WebSocket close waits for the peer's reply (ws: up to 30 s); a busy or gone client must not hold the
      // process: what has not closed within a second is cut, with every other lingering HTTP connection.
      for (let waited = 0; this.server.engine.clientsCount > 0 && waited < 1000; waited += 50)
        await sleep(50);
      (this.http.httpAdapter.getHttpServer() as HttpServer).closeAllConnections();
    }
    // What is left of this instance in presence is swept once its heartbeat is stale; the clients that moved
    // are online elsewhere by then, so nobody flickers offline.
    this.presence.stop();
    // Publications still unanswered are acknowledged with the rest once Redis answers them (for a while), and
    // outbox entries Redis has not taken yet get their chance while the connection is still there.
    await Promise.race([Promise.allSettled(this.publishing), sleep(SWEEP_GRACE_MS)]);
    await this.outbox.flushed(SWEEP_GRACE_MS);
    clearTimeout(this.ackTimer);
    this.ackPublished();
    await this.server?.close();
  }

  async onApplicationShutdown(): Promise<void> {
    this.fanout?.stop();
    await this.closeAdapter?.();
  }

  private onConnection(socket: AppSocket): void {
    const { userId, sessionId } = socket.data.user;
    void socket.join(userRoom(userId));
    // The session may have ended while this handshake was in flight.
    if (this.endedSessions.has(sessionId)) return this.endSocket(socket, 'revoked');
    this.presence
      .socketConnected(userId, socket.id)
      .then((evicted) => {
        // Over MAX_SOCKETS_PER_USER: the oldest sockets go, wherever they are.
        if (evicted.length && this.server) this.server.in(evicted).disconnectSockets(true);
      })
      .catch((err) => this.logger.error(err));

    this.handle(socket, 'message:send', async (payload) => {
      const send = parseSendMessage(payload);
      return (await this.messages.send(userId, send.chatId, send, socket.id)).message;
    });
    this.handle(socket, 'message:read', async (payload) => {
      const { chatId, seq } = parseMarkRead(payload);
      return this.messages.markRead(userId, chatId, seq);
    });
    this.handle(socket, 'typing', async (payload) => {
      const { chatId, isTyping } = parseTyping(payload);
      const { members } = await this.access.requireMember(chatId, userId);
      socket.data.typing ??= new TypingThrottle();
      if (!socket.data.typing.allow(chatId, isTyping)) return { relayed: false };
      const others = members.filter((m) => m.userId !== userId).map((m) => m.userId);
      this.emitTo(others, 'typing', { chatId, userId, isTyping });
      return { relayed: true };
    });
    socket.on('disconnect', () => {
      // During a graceful shutdown clients reconnect to another instance; what is left is swept later.
      if (this.moving) return;
      this.presence.socketDisconnected(userId, socket.id).catch((err) => this.logger.error(err));
    });
  }

  @OnAppEvent('session.ended')
  onSessionEnded({ userId, sessionId, reason }: SessionEndedEvent): void {
    this.endSessionHere(userId, sessionId, reason);
    this.server?.serverSideEmit('session:end', { userId, sessionId, reason });
  }

  /** Closes this instance's sockets of the session, and refuses handshakes that raced the news for a while. */
  private endSessionHere(userId: string, sessionId: string, reason: SessionEndReason): void {
    const now = Date.now();
    this.endedSessions.set(sessionId, now);
    for (const [id, at] of this.endedSessions)
      if (now - at > ENDED_SESSION_MEMORY_MS) this.endedSessions.delete(id);
    for (const socket of this.localSocketsOf(userId))
      if (socket.data.user.sessionId === sessionId) this.endSocket(socket, reason);
  }

  /** An access token's end is its socket's end: the client refreshes and reconnects (auth re-read). */
  private closeExpired(): void {
    if (!this.server) return;
    const now = Date.now();
    for (const socket of this.server.sockets.sockets.values())
      if (socket.data.expiresAt <= now) this.endSocket(socket, 'expired');
  }

  /** The last event reaches the client before the close (the close waits for the write buffer to drain). */
  private endSocket(socket: AppSocket, reason: SessionEndReason): void {
    socket.emit('session:ended', { reason });
    socket.disconnect(true);
  }

  private localSocketsOf(userId: string): AppSocket[] {
    const ids = this.server?.sockets.adapter.rooms.get(userRoom(userId)) ?? new Set<string>();
    return [...ids].flatMap((id) => this.server?.sockets.sockets.get(id) ?? []);
  }

  /**
   * Publishes committed messages, and acknowledges their outbox entry once Redis has answered the publication:
   * an entry is never cleared for messages that did not go out (see DeliveryOutbox). Being sent after the
   * publication on the same connection is not enough: while ioredis reconnects it fails and drops the commands
   * it queued (every few attempts), while a later acknowledgement may still go through once Redis is back.
   */
  @OnAppEvent('messages.created')
  onMessagesCreated({ items, delivery }: MessagesCreatedEvent): void {
    const publication = this.fanout?.publish(items);
    if (!delivery) return;
    if (!publication) return this.outbox.release(delivery); // not published here: a sweeper's to settle
    const settled = publication.then(
      () => {
        this.published.push(delivery);
        this.ackTimer ??= setTimeout(() => this.ackPublished(), ACK_EVERY_MS).unref();
      },
      () => this.outbox.release(delivery), // counted and logged by the connection (createRedisAdapter)
    );
    this.publishing.add(settled);
    void settled.finally(() => this.publishing.delete(settled));
  }

  /** Entries whose publications Redis has answered, acknowledged together. */
  private ackPublished(): void {
    this.ackTimer = undefined;
    const entries = this.published.splice(0);
    if (entries.length && this.pub)
      this.outbox.ack(entries, this.pub).catch((err) => this.logger.warn(`outbox ack: ${String(err)}`));
  }

  @OnAppEvent('message.updated')
  onMessageUpdated({ message, recipientIds }: MessageChangedEvent): void {
    this.emitTo(recipientIds, 'message:updated', message);
  }

  @OnAppEvent('message.deleted')
  onMessageDeleted({ message, recipientIds }: MessageChangedEvent): void {
    this.emitTo(recipientIds, 'message:deleted', {
      id: message.id,
      chatId: message.chatId,
      seq: message.seq,
    });
  }

  @OnAppEvent('receipt')
  onReceipt({ receipt, recipientIds }: ReceiptEvent): void {
    this.emitTo(recipientIds, 'receipt', receipt);
  }

  /** Members who see the same chat object get one broadcast together (a new group: usually everyone). */
  @OnAppEvent('chats.changed')
  onChatsChanged({ kind, views }: ChatsChangedEvent): void {
    const byPayload = new Map<string, { chat: (typeof views)[number]['chat']; userIds: string[] }>();
    for (const { userId, chat } of views) {
      const key = JSON.stringify(chat);
      const entry = byPayload.get(key) ?? { chat, userIds: [] };
      entry.userIds.push(userId);
      byPayload.set(key, entry);
    }
    for (const { chat, userIds } of byPayload.values())
      this.emitTo(userIds, kind === 'new' ? 'chat:new' : 'chat:updated', chat);
  }

  @OnAppEvent('chat.removed')
  onChatRemoved({ chatId, userIds }: ChatRemovedEvent): void {
    this.emitTo(userIds, 'chat:removed', { chatId });
  }

  @OnAppEvent('presence.changed')
  onPresence({ userId, online, lastSeenAt, recipientIds }: PresenceChangedEvent): void {
    this.emitTo(recipientIds, 'presence', { userId, online, lastSeenAt });
  }

  /** Every server-to-client event but message:new (MessageFanout) goes out here, to the users' rooms everywhere. */
  private emitTo<E extends keyof ServerToClientEvents>(
    userIds: string[],
    event: E,
    payload: Parameters<ServerToClientEvents[E]>[0],
  ): void {
    if (!this.server || userIds.length === 0) return;
    const target = this.server.to(userIds.map(userRoom));
    const args = [payload] as Parameters<ServerToClientEvents[E]>;
    target.emit(event, ...args);
  }

  /**
   * Binds a client event: the payload is its first argument and the ack its last, as Socket.IO passes a callback,
   * so an event sent with extra arguments is still answered (they are ignored).
   */
  private handle<T>(
    socket: AppSocket,
    event: keyof ClientToServerEvents,
    handler: (payload: unknown) => Promise<T>,
  ): void {
    (socket as unknown as Socket).on(event, (...args: unknown[]) => {
      const last = args[args.length - 1];
      const ack = typeof last === 'function' ? (last as (reply: Ack<T>) => void) : undefined;
      this.reply(event, ack, () => handler(args[0]));
    });
  }

  /** Runs a handler and acknowledges with its result or error (counted and timed); nothing escapes to the socket. */
  private reply<T>(
    event: keyof ClientToServerEvents,
    ack: ((reply: Ack<T>) => void) | undefined,
    handler: () => Promise<T>,
  ): void {
    const end = this.metrics.socketDuration.startTimer({ event });
    const run = this.lifecycle.draining ? () => Promise.reject(this.lifecycle.refusal()) : handler;
    void toAck(run, (err) => this.logger.error(err instanceof Error ? err.stack : err)).then((reply) => {
      end();
      this.metrics.socketEvents.inc({ event, outcome: reply.ok ? 'ok' : 'error' });
      if (typeof ack === 'function') ack(reply);
    });
  }
}

/** A refused handshake: connect_error with data.code the client can act on (refresh vs retry). */
function connectError(code: 'UNAUTHORIZED' | 'UNAVAILABLE'): Error {
  return code === 'UNAUTHORIZED'
    ? Object.assign(new Error('Unauthorized'), { data: { code } })
    : Object.assign(new Error('Service unavailable'), {
        data: { code, retryAfter: unavailable().retryAfterSec },
      });
}
