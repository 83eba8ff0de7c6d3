import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { MessageRow, toMessageDto } from '../messages/dto/message.dto';
import { ChatDto } from './dto/chat.dto';
import { MemberRole } from './chat-member.entity';
import { ChatType } from './chat.entity';

export const SAVED_TITLE = 'Saved messages';

interface ChatRow {
  id: string;
  type: ChatType;
  last_seq: number;
  updated_at: Date;
  group_id: string | null;
  group_name: string | null;
}

/**
 * Builds Chat objects as each viewer sees them (title and unreadCount differ per viewer) with a fixed
 * number of queries, whether for one user's whole chat list or one chat's every member.
 */
@Injectable()
export class ChatViews {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async build(pairs: { chatId: string; userId: string }[]): Promise<ChatDto[]> {
    if (pairs.length === 0) return [];
    const chatIds = [...new Set(pairs.map((p) => p.chatId))];
    const [chats, members, lastMessages, unread] = await Promise.all([
      this.db.query<ChatRow[]>(
        `SELECT c.id, c.type, c.last_seq, c.updated_at, g.id AS group_id, g.name AS group_name
           FROM chats c LEFT JOIN groups g ON g.chat_id = c.id WHERE c.id = ANY($1)`,
        [chatIds],
      ),
      this.db.query<{ chat_id: string; user_id: string; role: MemberRole; last_read_seq: number }[]>(
        `SELECT chat_id, user_id, role, last_read_seq FROM chat_members WHERE chat_id = ANY($1) ORDER BY joined_at, user_id`,
        [chatIds],
      ),
      this.db.query<MessageRow[]>(
        `SELECT m.* FROM chats c JOIN messages m ON m.chat_id = c.id AND m.seq = c.last_seq WHERE c.id = ANY($1)`,
        [chatIds],
      ),
      // Walks (chat_id, seq) from each viewer's read mark: cost grows with the unread count, not the history.
      this.db.query<{ chat_id: string; user_id: string; unread: number }[]>(
        `SELECT v.chat_id, v.user_id,
                (SELECT count(*) FROM messages m
                  WHERE m.chat_id = v.chat_id AND m.seq > cm.last_read_seq
                    AND m.deleted_at IS NULL AND m.sender_id <> v.user_id)::int AS unread
           FROM unnest($1::uuid[], $2::uuid[]) AS v(chat_id, user_id)
           JOIN chat_members cm ON cm.chat_id = v.chat_id AND cm.user_id = v.user_id`,
        [pairs.map((p) => p.chatId), pairs.map((p) => p.userId)],
      ),
    ]);

    const directUserIds = new Set<string>();
    const directChats = new Set(chats.filter((c) => c.type === 'direct').map((c) => c.id));
    for (const m of members) if (directChats.has(m.chat_id)) directUserIds.add(m.user_id);
    const names = new Map<string, string>();
    if (directUserIds.size) {
      const rows = await this.db.query<{ id: string; display_name: string }[]>(
        `SELECT id, display_name FROM users WHERE id = ANY($1)`,
        [[...directUserIds]],
      );
      for (const r of rows) names.set(r.id, r.display_name);
    }

    const chatById = new Map(chats.map((c) => [c.id, c]));
    const membersByChat = new Map<string, typeof members>();
    for (const m of members) membersByChat.set(m.chat_id, [...(membersByChat.get(m.chat_id) ?? []), m]);
    const lastByChat = new Map(lastMessages.map((m) => [m.chat_id, m]));
    const unreadByPair = new Map(unread.map((u) => [`${u.chat_id}:${u.user_id}`, u.unread]));

    return pairs.flatMap(({ chatId, userId }) => {
      const chat = chatById.get(chatId);
      if (!chat) return [];
      const chatMembers = membersByChat.get(chatId) ?? [];
      const readAllSeq = chatMembers.length
        ? Math.min(...chatMembers.map((m) => m.last_read_seq))
        : chat.last_seq;
      const last = lastByChat.get(chatId);
      const other = chatMembers.find((m) => m.user_id !== userId);
      const title =
        chat.type === 'group'
          ? chat.group_name!
          : chat.type === 'saved'
            ? SAVED_TITLE
            : (names.get(other?.user_id ?? '') ?? 'Unknown');
      return [
        {
          id: chat.id,
          type: chat.type,
          title,
          members: chatMembers.map((m) => ({ userId: m.user_id, role: m.role })),
          lastSeq: chat.last_seq,
          lastMessage: last ? toMessageDto(last, readAllSeq) : null,
          unreadCount: unreadByPair.get(`${chatId}:${userId}`) ?? 0,
          readAllSeq,
          groupId: chat.group_id,
          updatedAt: chat.updated_at.toISOString(),
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
