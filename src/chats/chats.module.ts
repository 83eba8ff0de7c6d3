import { Module } from '@nestjs/common';
import { ChatViews } from './chat-views';
import { ChatsController } from './chats.controller';
import { ChatsService } from './chats.service';
import { MembershipService } from './membership.service';

@Module({
  controllers: [ChatsController],
  providers: [ChatsService, ChatViews, MembershipService],
  exports: [ChatsService, ChatViews, MembershipService],
})
export class ChatsModule {}
