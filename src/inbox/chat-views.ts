import { Injectable } from '@nestjs/common';
import { ChatsRepository } from '../chats/chats.repository';
import { toMessageDto } from '../messages/dto/message.dto';
import { MessagesRepository } from '../messages/messages.repository';
import { ChatDto } from './dto/chat.dto';

export const SAVED_TITLE = 'Saved messages';

/**
 * Builds Chat objects as each viewer sees them (title and unreadCount differ per viewer) with a fixed
 * number of queries, whether for one user's whole chat list or one chat's every member.
 */
@Injectable()
export class ChatViews {
  constructor(
    private readonly chats: ChatsRepository,
    private readonly messages: MessagesRepository,
  ) {}

  async build(pairs: { chatId: string; userId: string }[]): Promise<ChatDto[]> {
    if (pairs.length === 0) return [];
    const chatIds = [...new Set(pairs.map((p) => p.chatId))];
    const [summaries, members, lastMessages, unread] = await Promise.all([
      this.chats.summaries(chatIds),
      this.chats.memberStates(chatIds),
      this.messages.lastOf(chatIds),
      this.messages.unreadCounts(pairs),
    ]);

    const summaryById = new Map(summaries.map((c) => [c.id, c]));
    const membersByChat = new Map<string, typeof members>();
    for (const m of members) membersByChat.set(m.chatId, [...(membersByChat.get(m.chatId) ?? []), m]);
    const lastByChat = new Map(lastMessages.map((m) => [m.chatId, m]));

    return pairs.flatMap(({ chatId, userId }) => {
      const chat = summaryById.get(chatId);
      if (!chat) return [];
      const chatMembers = membersByChat.get(chatId) ?? [];
      const readAllSeq = chatMembers.length
        ? Math.min(...chatMembers.map((m) => m.lastReadSeq))
        : chat.lastSeq;
      const last = lastByChat.get(chatId);
      const title =
        chat.type === 'group'
          ? chat.groupName!
          : chat.type === 'saved'
            ? SAVED_TITLE
            : (chatMembers.find((m) => m.userId !== userId)?.displayName ?? 'Unknown');
      return [
        {
          id: chat.id,
          type: chat.type,
          title,
          members: chatMembers.map((m) => ({ userId: m.userId, role: m.role })),
          lastSeq: chat.lastSeq,
          lastMessage: last ? toMessageDto(last, readAllSeq) : null,
          unreadCount: unread.get(`${chatId}:${userId}`) ?? 0,
          readAllSeq,
          groupId: chat.groupId,
          updatedAt: chat.updatedAt.toISOString(),
        },
      ];
    });
  }

  /** One chat as each of the given users sees it. */
  async forMembers(chatId: string, userIds: string[]): Promise<{ userId: string; chat: ChatDto }[]> {
    const views = await this.build(userIds.map((userId) => ({ chatId, userId })));
    return views.map((chat, i) => ({ userId: userIds[i], chat }));
  }
}
