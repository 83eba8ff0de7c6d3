import type { ChatDto } from './dto/chat.dto';

/** Per-recipient views of a chat that was created (chat:new) or changed (chat:updated). */
export interface ChatsChangedEvent {
  kind: 'new' | 'updated';
  views: { userId: string; chat: ChatDto }[];
}
export interface ChatRemovedEvent {
  chatId: string;
  userIds: string[];
}

declare module '../common/events' {
  interface AppEvents {
    'chats.changed': ChatsChangedEvent;
    'chat.removed': ChatRemovedEvent;
  }
}
