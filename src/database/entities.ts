import { ChatMemberEntity } from '../chats/chat-member.entity';
import { ChatEntity } from '../chats/chat.entity';
import { GroupEntity } from '../groups/group.entity';
import { MessageEntity } from '../messages/message.entity';
import { TelegramLinkEntity } from '../telegram/telegram-link.entity';
import { UserEntity } from '../users/user.entity';

/** Every entity, for the application's connection and the migration CLI alike. */
export const ENTITIES = [
  UserEntity,
  ChatEntity,
  ChatMemberEntity,
  GroupEntity,
  MessageEntity,
  TelegramLinkEntity,
];
