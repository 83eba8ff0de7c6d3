import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { ChatMemberEntity } from '../chats/chat-member.entity';
import { ChatEntity } from '../chats/chat.entity';
import { loadConfig } from '../config/app-config';
import { typeormOptions } from '../database/typeorm-options';
import { GroupEntity } from '../groups/group.entity';
import { MessageEntity } from '../messages/message.entity';
import { TelegramLinkEntity } from '../telegram/telegram-link.entity';
import { UserEntity } from '../users/user.entity';

/** Every entity, for the TypeORM CLI (migration:generate/run/revert and the CI check that they agree). */
export const ENTITIES = [
  UserEntity,
  ChatEntity,
  ChatMemberEntity,
  GroupEntity,
  MessageEntity,
  TelegramLinkEntity,
];

export default new DataSource(typeormOptions(loadConfig().databaseUrl, ENTITIES));
