import type { ChatDto } from '../chats/dto/chat.dto';
import type { MessageDto, ReceiptDto } from '../messages/dto/message.dto';

/**
 * Internal events: services emit them, the realtime gateway (and later the notification queue) listen.
 * Services never import the gateway. Each event names the users it concerns; the gateway sends to their rooms.
 */
export const Events = {
  MessageCreated: 'message.created',
  MessageUpdated: 'message.updated',
  MessageDeleted: 'message.deleted',
  Receipt: 'receipt',
  ChatsChanged: 'chats.changed',
  ChatRemoved: 'chat.removed',
  PresenceChanged: 'presence.changed',
} as const;

export interface MessageCreatedEvent {
  message: MessageDto;
  recipientIds: string[];
  /** The socket that sent it (it gets the ack, not a message:new). */
  originSocketId?: string;
}
export interface MessageChangedEvent {
  message: MessageDto;
  recipientIds: string[];
}
export interface ReceiptEvent {
  receipt: ReceiptDto;
  recipientIds: string[];
}
/** Per-recipient views of a chat that was created (chat:new) or changed (chat:updated). */
export interface ChatsChangedEvent {
  kind: 'new' | 'updated';
  views: { userId: string; chat: ChatDto }[];
}
export interface ChatRemovedEvent {
  chatId: string;
  userIds: string[];
}
export interface PresenceChangedEvent {
  userId: string;
  online: boolean;
  lastSeenAt: string | null;
  /** Users who share a chat with userId. */
  recipientIds: string[];
}
