import { Module } from '@nestjs/common';
import { UsersModule } from '../users/users.module';
import { PresenceStoreModule } from './presence-store.module';
import { PresenceService } from './presence.service';

@Module({
  imports: [UsersModule, PresenceStoreModule],
  providers: [PresenceService],
  exports: [PresenceService],
})
export class PresenceModule {}
