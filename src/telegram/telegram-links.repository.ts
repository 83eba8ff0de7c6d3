import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { updateReturning } from '../database/sql';
import { TelegramLinkEntity } from './telegram-link.entity';

export type TelegramLink = Pick<TelegramLinkEntity, 'userId' | 'telegramUsername' | 'linkedAt'> & {
  telegramChatId: number;
};

/** Every query on `telegram_links`: one Telegram private chat per user, one user per Telegram chat. */
@Injectable()
export class TelegramLinksRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Links the chat to the user; a Telegram chat linked to another account moves to this one. */
  async link(userId: string, telegramChatId: number, telegramUsername: string | null): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query(`DELETE FROM telegram_links WHERE telegram_chat_id = $1 AND user_id <> $2`, [
        telegramChatId,
        userId,
      ]);
      await tx.query(
        `INSERT INTO telegram_links (user_id, telegram_chat_id, telegram_username) VALUES ($1, $2, $3)
         ON CONFLICT (user_id) DO UPDATE SET telegram_chat_id = EXCLUDED.telegram_chat_id,
           telegram_username = EXCLUDED.telegram_username, linked_at = now()`,
        [userId, telegramChatId, telegramUsername],
      );
    });
  }

  async findByUser(userId: string): Promise<TelegramLink | null> {
    const rows: (Omit<TelegramLink, 'telegramChatId'> & { telegramChatId: string })[] = await this.db.query(
      `SELECT user_id AS "userId", telegram_chat_id AS "telegramChatId", telegram_username AS "telegramUsername",
              linked_at AS "linkedAt"
         FROM telegram_links WHERE user_id = $1`,
      [userId],
    );
    // bigint comes back as a string; Telegram chat ids fit in a double (52 bits).
    return rows.length ? { ...rows[0], telegramChatId: Number(rows[0].telegramChatId) } : null;
  }

  /** Which of these users have a linked Telegram chat. */
  async linkedAmong(userIds: string[]): Promise<string[]> {
    if (userIds.length === 0) return [];
    const rows: { user_id: string }[] = await this.db.query(
      `SELECT user_id FROM telegram_links WHERE user_id = ANY($1)`,
      [userIds],
    );
    return rows.map((r) => r.user_id);
  }

  async deleteByUser(userId: string): Promise<void> {
    await this.db.query(`DELETE FROM telegram_links WHERE user_id = $1`, [userId]);
  }

  /** Returns the user that was linked to the chat, if any. */
  async deleteByChat(telegramChatId: number): Promise<string | null> {
    const rows = await updateReturning<{ user_id: string }>(
      this.db,
      `DELETE FROM telegram_links WHERE telegram_chat_id = $1 RETURNING user_id`,
      [telegramChatId],
    );
    return rows[0]?.user_id ?? null;
  }
}
