import { Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppError } from '../common/app-error';
import { ChatsChangedEvent, Events } from '../common/events';
import { ChatViews } from './chat-views';
import { ChatDto } from './dto/chat.dto';
import { MembershipService } from './membership.service';

@Injectable()
export class ChatsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly views: ChatViews,
    private readonly membership: MembershipService,
    private readonly events: EventEmitter2,
  ) {}

  /**
   * The one direct chat of a pair (or the caller's saved chat when otherId is the caller). Race-free: the
   * unique direct_key decides, and a loser of the race waits for the winner's commit and then reads its chat.
   */
  async openDirect(userId: string, otherId: string): Promise<{ chat: ChatDto; created: boolean }> {
    const saved = userId === otherId;
    if (!saved) {
      const exists = await this.db.query('SELECT 1 FROM users WHERE id = $1', [otherId]);
      if (exists.length === 0) throw new AppError('USER_NOT_FOUND', 'User not found');
    }
    const key = saved ? userId : [userId, otherId].sort().join(':');
    const memberIds = saved ? [userId] : [userId, otherId];

    const createdId = await this.db.transaction(async (tx) => {
      const rows: { id: string }[] = await tx.query(
        `INSERT INTO chats (type, direct_key) VALUES ($1, $2) ON CONFLICT (direct_key) DO NOTHING RETURNING id`,
        [saved ? 'saved' : 'direct', key],
      );
      if (rows.length === 0) return null;
      await tx.query(
        `INSERT INTO chat_members (chat_id, user_id, role) SELECT $1, unnest($2::uuid[]), 'member'`,
        [rows[0].id, memberIds],
      );
      return rows[0].id;
    });
    const chatId =
      createdId ?? (await this.db.query('SELECT id FROM chats WHERE direct_key = $1', [key]))[0].id;

    if (createdId) {
      const views = await this.views.forMembers(chatId, memberIds);
      this.events.emit(Events.ChatsChanged, { kind: 'new', views } satisfies ChatsChangedEvent);
      return { chat: views.find((v) => v.userId === userId)!.chat, created: true };
    }
    return { chat: await this.get(userId, chatId), created: false };
  }

  /** The caller's chats, most recent activity first. */
  async list(userId: string): Promise<ChatDto[]> {
    const rows: { chat_id: string }[] = await this.db.query(
      `SELECT cm.chat_id FROM chat_members cm JOIN chats c ON c.id = cm.chat_id
        WHERE cm.user_id = $1 ORDER BY c.updated_at DESC, c.id`,
      [userId],
    );
    return this.views.build(rows.map((r) => ({ chatId: r.chat_id, userId })));
  }

  async get(userId: string, chatId: string): Promise<ChatDto> {
    await this.membership.require(chatId, userId);
    const [chat] = await this.views.build([{ chatId, userId }]);
    return chat;
  }
}
