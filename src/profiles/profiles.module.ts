import { Module } from '@nestjs/common';
import { ChatsModule } from '../chats/chats.module';
import { PresenceModule } from '../presence/presence.module';
import { UsersModule } from '../users/users.module';
import { ProfilesController } from './profiles.controller';
import { ProfilesService } from './profiles.service';

/** /users: profiles and the people directory. */
@Module({
  imports: [UsersModule, ChatsModule, PresenceModule],
  controllers: [ProfilesController],
  providers: [ProfilesService],
  exports: [ProfilesService],
})
export class ProfilesModule {}
