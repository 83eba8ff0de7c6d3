import { Module } from '@nestjs/common';
import { PresenceStore } from './presence.store';

@Module({ providers: [PresenceStore], exports: [PresenceStore] })
export class PresenceStoreModule {}
