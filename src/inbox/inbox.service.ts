import { Injectable } from '@nestjs/common';
import { AccessService } from '../chats/access.service';
import { ChatsRepository, directKey } from '../chats/chats.repository';
import { EventBus } from '../common/events';
import { UsersService } from '../users/users.service';
import { ChatViews } from './chat-views';
import { ChatDto } from './dto/chat.dto';
import './inbox.events';

/** The chat list, one chat, and the direct / saved chats (get-or-create). */
@Injectable()
export class InboxService {
  constructor(
    private readonly chats: ChatsRepository,
    private readonly users: UsersService,
    private readonly views: ChatViews,
    private readonly access: AccessService,
    private readonly events: EventBus,
  ) {}

  /**
   * The one direct chat of a pair (or the caller's saved chat when otherId is the caller). Race-free: the
   * unique direct_key decides, and a loser of the race waits for the winner's commit and then reads its chat.
   */
  async openDirect(userId: string, otherId: string): Promise<{ chat: ChatDto; created: boolean }> {
    const saved = userId === otherId;
    if (!saved) await this.users.requireExisting([otherId]);
    const key = directKey(userId, otherId);
    const memberIds = saved ? [userId] : [userId, otherId];

    const createdId = await this.chats.insertKeyed(saved ? 'saved' : 'direct', key, memberIds);
    if (createdId) {
      const views = await this.views.forMembers(createdId, memberIds);
      this.events.emit('chats.changed', { kind: 'new', views });
      return { chat: views.find((v) => v.userId === userId)!.chat, created: true };
    }
    const chatId = (await this.chats.findIdByKey(key))!;
    return { chat: await this.get(userId, chatId), created: false };
  }

  /** The caller's chats, most recent activity first. */
  async list(userId: string): Promise<ChatDto[]> {
    const chatIds = await this.chats.chatIdsOf(userId);
    return this.views.build(chatIds.map((chatId) => ({ chatId, userId })));
  }

  async get(userId: string, chatId: string): Promise<ChatDto> {
    await this.access.requireMember(chatId, userId);
    const [chat] = await this.views.build([{ chatId, userId }]);
    return chat;
  }
}
