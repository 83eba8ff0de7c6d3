import { BeforeApplicationShutdown, Logger, OnModuleDestroy } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import {
  ConnectedSocket,
  MessageBody,
  OnGatewayConnection,
  OnGatewayDisconnect,
  OnGatewayInit,
  SubscribeMessage,
  WebSocketGateway,
  WebSocketServer,
} from '@nestjs/websockets';
import { IsBoolean, IsUUID } from 'class-validator';
import { Server, Socket } from 'socket.io';
import { AuthService } from '../auth/auth.service';
import { AuthUser } from '../auth/current-user.decorator';
import { MembershipService } from '../chats/membership.service';
import {
  ChatRemovedEvent,
  ChatsChangedEvent,
  Events,
  MessageChangedEvent,
  MessageCreatedEvent,
  PresenceChangedEvent,
  ReceiptEvent,
} from '../common/events';
import { Ack, parsePayload, toAck } from '../common/socket-ack';
import { MessageDto, ReceiptDto, SocketMarkReadDto, SocketSendMessageDto } from '../messages/dto/message.dto';
import { MessagesService } from '../messages/messages.service';
import { PRESENCE_HEARTBEAT_MS } from '../presence/presence.store';
import { PresenceService } from '../presence/presence.service';

class TypingDto {
  @IsUUID()
  chatId: string;
  @IsBoolean()
  isTyping: boolean;
}

/** A "typing: true" per user and chat is relayed at most this often; "false" always goes through. */
const TYPING_INTERVAL_MS = 1000;

const userRoom = (userId: string) => `user:${userId}`;

interface SocketData {
  user: AuthUser;
  typingSentAt: Map<string, number>;
}
type AppSocket = Socket<any, any, any, SocketData>;

/**
 * Translates between Socket.IO and the services, nothing more: it authenticates the handshake, puts every
 * socket of a user in that user's room, turns client events into service calls with acks, and turns the
 * services' internal events into socket events sent to the members' rooms.
 */
@WebSocketGateway()
export class RealtimeGateway
  implements
    OnGatewayInit,
    OnGatewayConnection,
    OnGatewayDisconnect,
    BeforeApplicationShutdown,
    OnModuleDestroy
{
  @WebSocketServer() private server: Server;
  private readonly logger = new Logger(RealtimeGateway.name);
  private heartbeat?: NodeJS.Timeout;
  private shuttingDown = false;

  constructor(
    private readonly auth: AuthService,
    private readonly messages: MessagesService,
    private readonly membership: MembershipService,
    private readonly presence: PresenceService,
  ) {}

  afterInit(server: Server): void {
    // A missing, bad or revoked token never connects: the client gets connect_error.
    server.use((socket: AppSocket, next) => {
      const token: unknown = socket.handshake.auth?.token;
      this.auth.authenticateToken(token).then(
        (user) => {
          socket.data.user = user;
          socket.data.typingSentAt = new Map();
          next();
        },
        () => next(Object.assign(new Error('Unauthorized'), { data: { code: 'UNAUTHORIZED' } })),
      );
    });
    this.heartbeat = setInterval(() => void this.refreshPresence(), PRESENCE_HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  async handleConnection(socket: AppSocket): Promise<void> {
    const { userId } = socket.data.user;
    await socket.join(userRoom(userId));
    await this.presence.socketConnected(userId, socket.id).catch((err) => this.logger.error(err));
  }

  async handleDisconnect(socket: AppSocket): Promise<void> {
    // During a graceful shutdown clients reconnect to another instance; their entries expire if they don't.
    if (!socket.data.user || this.shuttingDown) return;
    await this.presence
      .socketDisconnected(socket.data.user.userId, socket.id)
      .catch((err) => this.logger.error(err));
  }

  beforeApplicationShutdown(): void {
    this.shuttingDown = true;
  }

  onModuleDestroy(): void {
    clearInterval(this.heartbeat);
  }

  @SubscribeMessage('message:send')
  send(@ConnectedSocket() socket: AppSocket, @MessageBody() payload: unknown): Promise<Ack<MessageDto>> {
    return this.ack(async () => {
      const dto = await parsePayload(SocketSendMessageDto, payload);
      const { message } = await this.messages.send(socket.data.user.userId, dto.chatId, dto, socket.id);
      return message;
    });
  }

  @SubscribeMessage('message:read')
  read(@ConnectedSocket() socket: AppSocket, @MessageBody() payload: unknown): Promise<Ack<ReceiptDto>> {
    return this.ack(async () => {
      const dto = await parsePayload(SocketMarkReadDto, payload);
      return this.messages.markRead(socket.data.user.userId, dto.chatId, dto.seq);
    });
  }

  @SubscribeMessage('typing')
  typing(
    @ConnectedSocket() socket: AppSocket,
    @MessageBody() payload: unknown,
  ): Promise<Ack<{ relayed: boolean }>> {
    return this.ack(async () => {
      const { chatId, isTyping } = await parsePayload(TypingDto, payload);
      const { userId } = socket.data.user;
      const { members } = await this.membership.require(chatId, userId);
      const now = Date.now();
      if (isTyping && now - (socket.data.typingSentAt.get(chatId) ?? 0) < TYPING_INTERVAL_MS)
        return { relayed: false };
      socket.data.typingSentAt.set(chatId, isTyping ? now : 0);
      const others = members.filter((m) => m.userId !== userId).map((m) => m.userId);
      this.emitTo(others, 'typing', { chatId, userId, isTyping });
      return { relayed: true };
    });
  }

  @OnEvent(Events.MessageCreated)
  onMessageCreated({ message, recipientIds, originSocketId }: MessageCreatedEvent): void {
    // One broadcast to many rooms reaches each socket once, however many of the rooms it is in.
    this.emitTo(recipientIds, 'message:new', message, originSocketId);
  }

  @OnEvent(Events.MessageUpdated)
  onMessageUpdated({ message, recipientIds }: MessageChangedEvent): void {
    this.emitTo(recipientIds, 'message:updated', message);
  }

  @OnEvent(Events.MessageDeleted)
  onMessageDeleted({ message, recipientIds }: MessageChangedEvent): void {
    this.emitTo(recipientIds, 'message:deleted', {
      id: message.id,
      chatId: message.chatId,
      seq: message.seq,
    });
  }

  @OnEvent(Events.Receipt)
  onReceipt({ receipt, recipientIds }: ReceiptEvent): void {
    this.emitTo(recipientIds, 'receipt', receipt);
  }

  @OnEvent(Events.ChatsChanged)
  onChatsChanged({ kind, views }: ChatsChangedEvent): void {
    for (const { userId, chat } of views)
      this.emitTo([userId], kind === 'new' ? 'chat:new' : 'chat:updated', chat);
  }

  @OnEvent(Events.ChatRemoved)
  onChatRemoved({ chatId, userIds }: ChatRemovedEvent): void {
    this.emitTo(userIds, 'chat:removed', { chatId });
  }

  @OnEvent(Events.PresenceChanged)
  onPresence({ userId, online, lastSeenAt, recipientIds }: PresenceChangedEvent): void {
    this.emitTo(recipientIds, 'presence', { userId, online, lastSeenAt });
  }

  /**
   * Every server-to-client event goes out here, to the users' rooms on all instances. Once shutdown has
   * begun nothing is sent: the Redis connections are about to close, and clients catch up (afterSeq)
   * after reconnecting elsewhere.
   */
  private emitTo(userIds: string[], event: string, payload: unknown, exceptSocketId?: string): void {
    if (this.shuttingDown || userIds.length === 0) return;
    const target = this.server.to(userIds.map(userRoom));
    (exceptSocketId ? target.except(exceptSocketId) : target).emit(event, payload);
  }

  private ack<T>(handler: () => Promise<T>): Promise<Ack<T>> {
    return toAck(handler, (err) => this.logger.error(err instanceof Error ? err.stack : err));
  }

  private async refreshPresence(): Promise<void> {
    const sockets = [...this.server.sockets.sockets.values()] as AppSocket[];
    await this.presence
      .heartbeat(
        sockets.filter((s) => s.data.user).map((s) => ({ userId: s.data.user.userId, socketId: s.id })),
      )
      .catch((err) => this.logger.warn(`presence heartbeat failed: ${String(err)}`));
  }
}
