import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { uniqueViolation } from '../database/postgres-errors';
import { updateReturning } from '../database/sql';
import { MessageEntity, UQ_MESSAGES_SENDER_CLIENT_MSG_ID } from './message.entity';

/** A stored message as the repository returns it (the entity's columns, no relations). */
export type Message = Omit<MessageEntity, 'chat' | 'sender'>;

/** The select list that maps a messages row to Message, optionally qualified by a table alias. */
const columns = (t = '') =>
  `${t}id, ${t}chat_id AS "chatId", ${t}seq, ${t}sender_id AS "senderId", ${t}client_msg_id AS "clientMsgId",
   ${t}text, ${t}created_at AS "createdAt", ${t}edited_at AS "editedAt", ${t}deleted_at AS "deletedAt"`;
const COLUMNS = columns();

/**
 * One statement, one round trip, all or nothing: check membership, take the next seq under the chat row's
 * lock (so seqs follow commit order with no gaps), insert, move the sender's read mark, and read the
 * recipients. A repeated (sender_id, client_msg_id) violates the unique index and rolls all of it back,
 * the seq increment included. The membership check here is the send path's access check (AccessService
 * only explains a refusal): it is atomic with the insert, so a removed member is refused at once.
 */
const SEND_SQL = `
WITH bump AS (
  UPDATE chats SET last_seq = last_seq + 1, updated_at = now()
   WHERE id = $1 AND EXISTS (SELECT 1 FROM chat_members WHERE chat_id = $1 AND user_id = $2)
  RETURNING last_seq
), inserted AS (
  INSERT INTO messages (chat_id, seq, sender_id, client_msg_id, text)
  SELECT $1, last_seq, $2, $3, $4 FROM bump
  RETURNING ${COLUMNS}
), own_mark AS (
  UPDATE chat_members cm SET last_read_seq = inserted.seq FROM inserted
   WHERE cm.chat_id = $1 AND cm.user_id = $2
)
SELECT inserted.*, ARRAY(SELECT user_id FROM chat_members WHERE chat_id = $1) AS "memberIds" FROM inserted`;

export type InsertMessageResult =
  { kind: 'inserted'; message: Message; memberIds: string[] } | { kind: 'duplicate' } | { kind: 'refused' };

/** A message not yet read by a user, with what a notification shows about it. */
export interface UnreadForNotification {
  seq: number;
  text: string;
  senderName: string;
  chatType: 'direct' | 'group' | 'saved';
  groupName: string | null;
}

/** Every query on `messages`, including the send statement (which also bumps the chat's seq). */
@Injectable()
export class MessagesRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** 'refused': the sender is not a member (or the chat does not exist); 'duplicate': the clientMsgId is taken. */
  async insert(
    chatId: string,
    senderId: string,
    clientMsgId: string,
    text: string,
  ): Promise<InsertMessageResult> {
    try {
      const rows: (Message & { memberIds: string[] })[] = await this.db.query(SEND_SQL, [
        chatId,
        senderId,
        clientMsgId,
        text,
      ]);
      if (rows.length === 0) return { kind: 'refused' };
      const { memberIds, ...message } = rows[0];
      return { kind: 'inserted', message, memberIds };
    } catch (err) {
      if (uniqueViolation(err) === UQ_MESSAGES_SENDER_CLIENT_MSG_ID) return { kind: 'duplicate' };
      throw err;
    }
  }

  async findBySender(senderId: string, clientMsgId: string): Promise<Message | null> {
    const rows: Message[] = await this.db.query(
      `SELECT ${COLUMNS} FROM messages WHERE sender_id = $1 AND client_msg_id = $2`,
      [senderId, clientMsgId],
    );
    return rows[0] ?? null;
  }

  async findById(id: string): Promise<Message | null> {
    const rows: Message[] = await this.db.query(`SELECT ${COLUMNS} FROM messages WHERE id = $1`, [id]);
    return rows[0] ?? null;
  }

  /** Up to `limit` messages before `beforeSeq` (newest first) or after `afterSeq` (oldest first). */
  page(
    chatId: string,
    from: { beforeSeq: number } | { afterSeq: number },
    limit: number,
  ): Promise<Message[]> {
    return 'beforeSeq' in from
      ? this.db.query(
          `SELECT ${COLUMNS} FROM messages WHERE chat_id = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3`,
          [chatId, from.beforeSeq, limit],
        )
      : this.db.query(
          `SELECT ${COLUMNS} FROM messages WHERE chat_id = $1 AND seq > $2 ORDER BY seq ASC LIMIT $3`,
          [chatId, from.afterSeq, limit],
        );
  }

  /** null when the message is deleted (or gone). */
  async editText(id: string, text: string): Promise<Message | null> {
    const rows = await updateReturning<Message>(
      this.db,
      `UPDATE messages SET text = $2, edited_at = now() WHERE id = $1 AND deleted_at IS NULL RETURNING ${COLUMNS}`,
      [id, text],
    );
    return rows[0] ?? null;
  }

  /** Soft delete: id and seq stay, the text goes. null when it was already deleted. */
  async softDelete(id: string): Promise<Message | null> {
    const rows = await updateReturning<Message>(
      this.db,
      `UPDATE messages SET text = NULL, deleted_at = now() WHERE id = $1 AND deleted_at IS NULL RETURNING ${COLUMNS}`,
      [id],
    );
    return rows[0] ?? null;
  }

  /** The newest message of each chat. */
  lastOf(chatIds: string[]): Promise<Message[]> {
    return this.db.query(
      `SELECT ${columns('m.')} FROM chats c JOIN messages m ON m.chat_id = c.id AND m.seq = c.last_seq
        WHERE c.id = ANY($1)`,
      [chatIds],
    );
  }

  /**
   * Unread messages from others per (chat, user), deleted ones excluded. Walks (chat_id, seq) from each
   * reader's mark: the cost grows with the unread count, not with the history.
   */
  async unreadCounts(pairs: { chatId: string; userId: string }[]): Promise<Map<string, number>> {
    const rows: { chat_id: string; user_id: string; unread: number }[] = await this.db.query(
      `SELECT v.chat_id, v.user_id,
              (SELECT count(*) FROM messages m
                WHERE m.chat_id = v.chat_id AND m.seq > cm.last_read_seq
                  AND m.deleted_at IS NULL AND m.sender_id <> v.user_id)::int AS unread
         FROM unnest($1::uuid[], $2::uuid[]) AS v(chat_id, user_id)
         JOIN chat_members cm ON cm.chat_id = v.chat_id AND cm.user_id = v.user_id`,
      [pairs.map((p) => p.chatId), pairs.map((p) => p.userId)],
    );
    return new Map(rows.map((r) => [`${r.chat_id}:${r.user_id}`, r.unread]));
  }

  /** What a notification would gather: messages from others, after the user's read mark and after `afterSeq`. */
  unreadForNotification(userId: string, chatId: string, afterSeq: number): Promise<UnreadForNotification[]> {
    return this.db.query(
      `SELECT m.seq, m.text, u.display_name AS "senderName", c.type AS "chatType", g.name AS "groupName"
         FROM chat_members cm
         JOIN chats c ON c.id = cm.chat_id
         LEFT JOIN groups g ON g.chat_id = c.id
         JOIN messages m ON m.chat_id = cm.chat_id AND m.seq > GREATEST(cm.last_read_seq, $3)
                        AND m.deleted_at IS NULL AND m.sender_id <> cm.user_id
         JOIN users u ON u.id = m.sender_id
        WHERE cm.chat_id = $1 AND cm.user_id = $2
        ORDER BY m.seq`,
      [chatId, userId, afterSeq],
    );
  }
}
