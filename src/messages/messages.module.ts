import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ChatsModule } from '../chats/chats.module';
import { MessageEntity } from './message.entity';
import { MessagesController } from './messages.controller';
import { MessagesRepository } from './messages.repository';
import { MessagesService } from './messages.service';
import { SendRateLimiter } from './send-rate-limiter';

@Module({
  imports: [TypeOrmModule.forFeature([MessageEntity]), ChatsModule],
  controllers: [MessagesController],
  providers: [MessagesRepository, MessagesService, SendRateLimiter],
  exports: [MessagesRepository, MessagesService],
})
export class MessagesModule {}
