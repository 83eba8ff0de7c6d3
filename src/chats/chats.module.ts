import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AccessService } from './access.service';
import { ChatMemberEntity } from './chat-member.entity';
import { ChatEntity } from './chat.entity';
import { ChatsRepository } from './chats.repository';
import { MembershipService } from './membership.service';

/** Chats and their members: who is in which chat, with which role, read how far; and who may do what. */
@Module({
  imports: [TypeOrmModule.forFeature([ChatEntity, ChatMemberEntity])],
  providers: [ChatsRepository, MembershipService, AccessService],
  exports: [ChatsRepository, MembershipService, AccessService],
})
export class ChatsModule {}
