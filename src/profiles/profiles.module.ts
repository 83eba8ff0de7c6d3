import { Module } from '@nestjs/common';
import { PresenceModule } from '../presence/presence.module';
import { UsersModule } from '../users/users.module';
import { ProfilesController } from './profiles.controller';
import { ProfilesService } from './profiles.service';

/** /users: profiles and the people directory. */
@Module({
  imports: [UsersModule, PresenceModule],
  controllers: [ProfilesController],
  providers: [ProfilesService],
  exports: [ProfilesService],
})
export class ProfilesModule {}
