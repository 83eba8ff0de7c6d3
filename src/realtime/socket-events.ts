import type { AuthUser } from '../common/auth-user';
import type { Ack } from '../common/socket-ack';
import type { ChatDto } from '../inbox/dto/chat.dto';
import type { MessageDto, ReceiptDto } from '../messages/dto/message.dto';
import type { TypingThrottle } from './typing-throttle';

/**
 * The Socket.IO surface, both ways. The gateway, the worker's emitter and the tests' socket client are typed
 * with these, and the AsyncAPI document (asyncapi.ts) must describe every event named here.
 */
export interface SendMessagePayload {
  chatId: string;
  text: string;
  clientMsgId: string;
}
export interface MarkReadPayload {
  chatId: string;
  seq: number;
}
export interface TypingPayload {
  chatId: string;
  isTyping: boolean;
}

export interface ClientToServerEvents {
  'message:send': (payload: SendMessagePayload, ack: (reply: Ack<MessageDto>) => void) => void;
  'message:read': (payload: MarkReadPayload, ack: (reply: Ack<ReceiptDto>) => void) => void;
  typing: (payload: TypingPayload, ack?: (reply: Ack<{ relayed: boolean }>) => void) => void;
}

export interface MessageDeletedPayload {
  id: string;
  chatId: string;
  seq: number;
}
export interface TypingNotice {
  chatId: string;
  userId: string;
  isTyping: boolean;
}
export interface PresenceNotice {
  userId: string;
  online: boolean;
  lastSeenAt: string | null;
}

export interface ServerToClientEvents {
  'message:new': (message: MessageDto) => void;
  'message:updated': (message: MessageDto) => void;
  'message:deleted': (payload: MessageDeletedPayload) => void;
  receipt: (receipt: ReceiptDto) => void;
  typing: (notice: TypingNotice) => void;
  presence: (notice: PresenceNotice) => void;
  'chat:new': (chat: ChatDto) => void;
  'chat:updated': (chat: ChatDto) => void;
  'chat:removed': (payload: { chatId: string }) => void;
  'telegram:linked': (payload: { telegramUsername: string | null }) => void;
  /** Last event before the server closes a socket whose session ended or whose access token expired. */
  'session:ended': (payload: { reason: SessionEndReason }) => void;
}

export type SessionEndReason = 'logout' | 'revoked' | 'expired';

/** Between API instances (through the adapter): end a session's sockets wherever they are. */
export interface InterServerEvents {
  'session:end': (payload: { userId: string; sessionId: string; reason: SessionEndReason }) => void;
}

/** What a connected socket carries (set by the handshake). */
export interface SocketData {
  user: AuthUser;
  /** When the access token of the handshake expires (ms since the epoch): the socket ends then. */
  expiresAt: number;
  /** Created on the socket's first typing notice. */
  typing?: TypingThrottle;
}
