import { Injectable } from '@nestjs/common';
import { ChatsRepository, MemberState } from '../chats/chats.repository';
import { toMessageDto } from '../messages/dto/message.dto';
import { MessagesRepository } from '../messages/messages.repository';
import { ChatDto } from './dto/chat.dto';

export const SAVED_TITLE = 'Saved messages';

/**
 * Chats up to this size carry their member list; bigger groups only their memberCount (the list is paged:
 * GET /groups/{id}/members), so announcing a chat to its N members does not cost N x N.
 */
export const CHAT_MEMBERS_INLINE_MAX = 100;

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
    const [summaries, memberSummaries, lastMessages, unread] = await Promise.all([
      this.chats.summaries(chatIds),
      this.chats.memberSummaries(chatIds),
      this.messages.lastOf(chatIds),
      this.messages.unreadCounts(pairs),
    ]);
    const countsByChat = new Map(memberSummaries.map((m) => [m.chatId, m]));
    const small = chatIds.filter((id) => (countsByChat.get(id)?.memberCount ?? 0) <= CHAT_MEMBERS_INLINE_MAX);
    const membersByChat = new Map<string, MemberState[]>();
    for (const m of await this.chats.memberStates(small))
      membersByChat.set(m.chatId, [...(membersByChat.get(m.chatId) ?? []), m]);

    const summaryById = new Map(summaries.map((c) => [c.id, c]));
    const lastByChat = new Map(lastMessages.map((m) => [m.chatId, m]));
    return pairs.flatMap(({ chatId, userId }) => {
      const chat = summaryById.get(chatId);
      if (!chat) return [];
      const counts = countsByChat.get(chatId);
      const members = membersByChat.get(chatId);
      const readAllSeq = counts?.readAllSeq ?? chat.lastSeq;
      const last = lastByChat.get(chatId);
      const title =
        chat.type === 'group'
          ? chat.groupName!
          : chat.type === 'saved'
            ? SAVED_TITLE
            : (members?.find((m) => m.userId !== userId)?.displayName ?? 'Unknown');
      const view: ChatDto = {
        id: chat.id,
        type: chat.type,
        title,
        memberCount: counts?.memberCount ?? 0,
        lastSeq: chat.lastSeq,
        lastMessage: last ? toMessageDto(last, readAllSeq) : null,
        unreadCount: unread.get(`${chatId}:${userId}`) ?? 0,
        readAllSeq,
        groupId: chat.groupId,
        updatedAt: chat.updatedAt.toISOString(),
      };
      if (members) view.members = members.map((m) => ({ userId: m.userId, role: m.role }));
      return [view];
    });
  }

  /** One chat as each of the given users sees it. */
  async forMembers(chatId: string, userIds: string[]): Promise<{ userId: string; chat: ChatDto }[]> {
    const views = await this.build(userIds.map((userId) => ({ chatId, userId })));
    return views.map((chat, i) => ({ userId: userIds[i], chat }));
  }
}
