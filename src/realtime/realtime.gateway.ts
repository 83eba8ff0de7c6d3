import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { Server, Socket } from 'socket.io';
import '../auth/auth.events';
import type { SessionEndedEvent } from '../auth/auth.events';
import { AuthService } from '../auth/auth.service';
import { AccessService } from '../chats/access.service';
import { OnAppEvent } from '../common/events';
import { Ack, parsePayload, toAck } from '../common/socket-ack';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import '../inbox/inbox.events';
import type { ChatRemovedEvent, ChatsChangedEvent } from '../inbox/inbox.events';
import '../messages/messages.events';
import type { MessageChangedEvent, MessageCreatedEvent, ReceiptEvent } from '../messages/messages.events';
import { MessagesService } from '../messages/messages.service';
import '../presence/presence.events';
import type { PresenceChangedEvent } from '../presence/presence.events';
import { PresenceService } from '../presence/presence.service';
import { createRedisAdapter } from './redis-adapter';
import { userRoom } from './rooms';
import {
  ClientToServerEvents,
  InterServerEvents,
  ServerToClientEvents,
  SessionEndReason,
  SocketData,
} from './socket-events';
import { MarkReadPayloadDto, SendMessagePayloadDto, TypingPayloadDto } from './socket-payloads';
import { TypingThrottle } from './typing-throttle';

type AppServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
type AppSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

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
  private closeAdapter?: () => Promise<void>;
  private expirySweep?: NodeJS.Timeout;
  private shuttingDown = false;
  private readonly endedSessions = new Map<string, number>();

  constructor(
    private readonly http: HttpAdapterHost,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly auth: AuthService,
    private readonly messages: MessagesService,
    private readonly access: AccessService,
    private readonly presence: PresenceService,
  ) {}

  onApplicationBootstrap(): void {
    const server: AppServer = new Server(this.http.httpAdapter.getHttpServer(), {
      path: '/socket.io',
      // Same ceiling as REST bodies: a 4096-character message fits many times over.
      maxHttpBufferSize: this.config.bodyLimitBytes,
    });
    const redis = createRedisAdapter(this.config.redisUrl);
    server.adapter(redis.adapter);
    this.closeAdapter = redis.close;
    // A missing, bad or revoked token never connects: the client gets connect_error.
    server.use((socket, next) => {
      this.auth.authenticateToken(socket.handshake.auth?.token).then(
        ({ user, expiresAt }) => {
          if (this.endedSessions.has(user.sessionId)) return next(unauthorized());
          socket.data.user = user;
          socket.data.expiresAt = expiresAt;
          next();
        },
        () => next(unauthorized()),
      );
    });
    server.on('connection', (socket) => this.onConnection(socket));
    server.on('session:end', (payload) =>
      this.endSessionHere(payload.userId, payload.sessionId, payload.reason),
    );
    this.server = server;
    this.presence.start(() =>
      [...server.sockets.sockets.values()].map((s) => ({ userId: s.data.user.userId, socketId: s.id })),
    );
    this.expirySweep = setInterval(() => this.closeExpired(), 1000);
    this.expirySweep.unref();
  }

  /** Once shutdown begins nothing more is sent: the Redis connections are about to close. */
  async beforeApplicationShutdown(): Promise<void> {
    this.shuttingDown = true;
    this.presence.stop();
    clearInterval(this.expirySweep);
    await this.server?.close();
  }

  async onApplicationShutdown(): Promise<void> {
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

    socket.on('message:send', (payload, ack) =>
      this.reply(ack, async () => {
        const dto = await parsePayload(SendMessagePayloadDto, payload);
        return (await this.messages.send(userId, dto.chatId, dto, socket.id)).message;
      }),
    );
    socket.on('message:read', (payload, ack) =>
      this.reply(ack, async () => {
        const dto = await parsePayload(MarkReadPayloadDto, payload);
        return this.messages.markRead(userId, dto.chatId, dto.seq);
      }),
    );
    socket.on('typing', (payload, ack) =>
      this.reply(ack, async () => {
        const { chatId, isTyping } = await parsePayload(TypingPayloadDto, payload);
        const { members } = await this.access.requireMember(chatId, userId);
        socket.data.typing ??= new TypingThrottle();
        if (!socket.data.typing.allow(chatId, isTyping)) return { relayed: false };
        const others = members.filter((m) => m.userId !== userId).map((m) => m.userId);
        this.emitTo(others, 'typing', { chatId, userId, isTyping });
        return { relayed: true };
      }),
    );
    socket.on('disconnect', () => {
      // During a graceful shutdown clients reconnect to another instance; what is left is swept later.
      if (this.shuttingDown) return;
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

  @OnAppEvent('message.created')
  onMessageCreated({ message, recipientIds, originSocketId }: MessageCreatedEvent): void {
    // One broadcast to many rooms reaches each socket once, however many of the rooms it is in.
    this.emitTo(recipientIds, 'message:new', message, originSocketId);
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

  /** Every server-to-client event goes out here, to the users' rooms on all instances. */
  private emitTo<E extends keyof ServerToClientEvents>(
    userIds: string[],
    event: E,
    payload: Parameters<ServerToClientEvents[E]>[0],
    exceptSocketId?: string,
  ): void {
    if (!this.server || this.shuttingDown || userIds.length === 0) return;
    const target = this.server.to(userIds.map(userRoom));
    const args = [payload] as Parameters<ServerToClientEvents[E]>;
    (exceptSocketId ? target.except(exceptSocketId) : target).emit(event, ...args);
  }

  /** Runs a handler and acknowledges with its result or error; nothing escapes to the socket. */
  private reply<T>(ack: ((reply: Ack<T>) => void) | undefined, handler: () => Promise<T>): void {
    void toAck(handler, (err) => this.logger.error(err instanceof Error ? err.stack : err)).then((reply) => {
      if (typeof ack === 'function') ack(reply);
    });
  }
}

const unauthorized = () => Object.assign(new Error('Unauthorized'), { data: { code: 'UNAUTHORIZED' } });
