import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppError } from '../common/app-error';
import { VersionedCache } from '../redis/versioned-cache';
import { MemberRole } from './chat-member.entity';

export interface Member {
  userId: string;
  role: MemberRole;
}

const TTL_MS = 5 * 60_000;
const cacheKey = (chatId: string) => `chat-members:${chatId}`;

/** Who is in a chat: asked on every send, read, typing and fan-out, so cached (see VersionedCache). */
@Injectable()
export class MembershipService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly cache: VersionedCache,
  ) {}

  members(chatId: string): Promise<Member[]> {
    return this.cache.getOrLoad(cacheKey(chatId), TTL_MS, () =>
      this.db.query(
        `SELECT user_id AS "userId", role FROM chat_members WHERE chat_id = $1 ORDER BY joined_at, user_id`,
        [chatId],
      ),
    );
  }

  /** Call after the transaction that changed the chat's members has committed. */
  invalidate(chatId: string): Promise<void> {
    return this.cache.invalidate(cacheKey(chatId));
  }

  /** The caller's membership, or 404 (no such chat) / 403 (not a member). */
  async require(chatId: string, userId: string): Promise<{ member: Member; members: Member[] }> {
    const members = await this.members(chatId);
    const member = members.find((m) => m.userId === userId);
    if (member) return { member, members };
    if (members.length === 0 && !(await this.chatExists(chatId)))
      throw new AppError('CHAT_NOT_FOUND', 'Chat not found');
    throw new AppError('NOT_A_MEMBER', 'You are not a member of this chat');
  }

  private async chatExists(chatId: string): Promise<boolean> {
    const rows: unknown[] = await this.db.query('SELECT 1 FROM chats WHERE id = $1', [chatId]);
    return rows.length > 0;
  }
}
