import { Module } from '@nestjs/common';
import { ChatsModule } from '../chats/chats.module';
import { MessagesModule } from '../messages/messages.module';
import { UsersModule } from '../users/users.module';
import { ChatViews } from './chat-views';
import { InboxController } from './inbox.controller';
import { InboxService } from './inbox.service';

/** Each user's chat list (/chats): titles, last message and unread counts as that user sees them. */
@Module({
  imports: [UsersModule, ChatsModule, MessagesModule],
  controllers: [InboxController],
  providers: [InboxService, ChatViews],
  exports: [InboxService, ChatViews],
})
export class InboxModule {}
