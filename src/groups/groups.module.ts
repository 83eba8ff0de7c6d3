import { Module } from '@nestjs/common';
import { ChatsModule } from '../chats/chats.module';
import { GroupsController } from './groups.controller';
import { GroupsService } from './groups.service';

@Module({ imports: [ChatsModule], controllers: [GroupsController], providers: [GroupsService] })
export class GroupsModule {}
