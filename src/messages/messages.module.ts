import { Module } from '@nestjs/common';
import { ChatsModule } from '../chats/chats.module';
import { MessagesController } from './messages.controller';
import { MessagesService } from './messages.service';
import { SendRateLimiter } from './send-rate-limiter';

@Module({
  imports: [ChatsModule],
  controllers: [MessagesController],
  providers: [MessagesService, SendRateLimiter],
  exports: [MessagesService],
})
export class MessagesModule {}
