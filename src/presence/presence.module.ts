import { Module } from '@nestjs/common';
import { ChatsModule } from '../chats/chats.module';
import { UsersModule } from '../users/users.module';
import { PresenceService } from './presence.service';
import { PresenceStore } from './presence.store';

/** Who is online, cluster-wide (Redis), and the online/offline transitions. */
@Module({
  imports: [UsersModule, ChatsModule],
  providers: [PresenceStore, PresenceService],
  exports: [PresenceStore, PresenceService],
})
export class PresenceModule {}
