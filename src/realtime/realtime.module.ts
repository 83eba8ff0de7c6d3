import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { ChatsModule } from '../chats/chats.module';
import { MessagesModule } from '../messages/messages.module';
import { PresenceModule } from '../presence/presence.module';
import { RealtimeGateway } from './realtime.gateway';

@Module({ imports: [AuthModule, ChatsModule, MessagesModule, PresenceModule], providers: [RealtimeGateway] })
export class RealtimeModule {}
