import { Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { MembershipService } from '../chats/membership.service';
import { AppError } from '../common/app-error';
import { Events, MessageChangedEvent, MessageCreatedEvent, ReceiptEvent } from '../common/events';
import { uniqueViolation } from '../common/postgres-errors';
import {
  HistoryPageDto,
  HistoryQueryDto,
  MessageDto,
  MessageRow,
  ReceiptDto,
  toMessageDto,
} from './dto/message.dto';
import { SendRateLimiter } from './send-rate-limiter';
import { updateReturning } from '../database/sql';

export const UQ_SENDER_CLIENT_MSG_ID = 'UQ_messages_sender_client_msg_id';

/**
 * One statement, one round trip, all or nothing: check membership, take the next seq under the chat row's
 * lock (so seqs follow commit order with no gaps), insert, move the sender's read mark, and read the
 * recipients. A repeated (sender_id, client_msg_id) violates the unique index and rolls all of it back,
 * the seq increment included.
 */
export const SEND_SQL = `
WITH bump AS (
  UPDATE chats SET last_seq = last_seq + 1, updated_at = now()
   WHERE id = $1 AND EXISTS (SELECT 1 FROM chat_members WHERE chat_id = $1 AND user_id = $2)
  RETURNING last_seq
), inserted AS (
  INSERT INTO messages (chat_id, seq, sender_id, client_msg_id, text)
  SELECT $1, last_seq, $2, $3, $4 FROM bump
  RETURNING *
), own_mark AS (
  UPDATE chat_members cm SET last_read_seq = inserted.seq FROM inserted
   WHERE cm.chat_id = $1 AND cm.user_id = $2
)
SELECT inserted.*, ARRAY(SELECT user_id FROM chat_members WHERE chat_id = $1) AS member_ids FROM inserted`;

export interface SendInput {
  text: string;
  clientMsgId: string;
}

@Injectable()
export class MessagesService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly membership: MembershipService,
    private readonly rateLimiter: SendRateLimiter,
    private readonly events: EventEmitter2,
  ) {}

  /**
   * The one send path for REST and Socket.IO. `created` is false for a replay of a stored clientMsgId.
   * Membership is checked inside SEND_SQL, in the same round trip as the insert, so the happy path asks
   * Redis only for the rate limit; the (cached) membership lookup runs only to explain a refusal.
   */
  async send(
    userId: string,
    chatId: string,
    input: SendInput,
    originSocketId?: string,
  ): Promise<{ message: MessageDto; created: boolean }> {
    const retryAfter = await this.rateLimiter.take(userId);
    if (retryAfter !== null) {
      // Replays of a stored message are free, even over the limit (for members only, as ever).
      await this.membership.require(chatId, userId);
      const stored = await this.findReplay(userId, chatId, input);
      if (stored) return { message: stored, created: false };
      throw new AppError('RATE_LIMITED', 'Sending too fast, slow down', undefined, retryAfter);
    }

    let rows: (MessageRow & { member_ids: string[] })[];
    try {
      rows = await this.db.query(SEND_SQL, [chatId, userId, input.clientMsgId, input.text]);
    } catch (err) {
      await this.rateLimiter.refund(userId);
      if (uniqueViolation(err) !== UQ_SENDER_CLIENT_MSG_ID) throw err;
      const stored = await this.findReplay(userId, chatId, input);
      if (!stored) throw err;
      return { message: stored, created: false };
    }
    if (rows.length === 0) {
      // Not a member (403) or no such chat (404); require() says which.
      await this.rateLimiter.refund(userId);
      await this.membership.require(chatId, userId);
      throw new AppError('NOT_A_MEMBER', 'You are not a member of this chat');
    }
    const { member_ids: recipientIds, ...row } = rows[0];
    // Nobody else has read a message that was just created, unless nobody else is there (saved messages).
    const message = toMessageDto(row, recipientIds.length > 1 ? row.seq - 1 : row.seq);
    this.events.emit(Events.MessageCreated, {
      message,
      recipientIds,
      originSocketId,
    } satisfies MessageCreatedEvent);
    return { message, created: true };
  }

  /** The stored message of (sender, clientMsgId); 409 when it was for another chat or another text. */
  private async findReplay(userId: string, chatId: string, input: SendInput): Promise<MessageDto | null> {
    const rows: MessageRow[] = await this.db.query(
      `SELECT * FROM messages WHERE sender_id = $1 AND client_msg_id = $2`,
      [userId, input.clientMsgId],
    );
    if (rows.length === 0) return null;
    const row = rows[0];
    if (row.chat_id !== chatId || (row.deleted_at === null && row.text !== input.text)) {
      throw new AppError(
        'CLIENT_MSG_ID_CONFLICT',
        'This clientMsgId was already used for a different message',
      );
    }
    return toMessageDto(row, await this.readAllSeq(chatId));
  }

  /**
   * Pages of history, oldest first. seq runs 1, 2, 3, ... without gaps and rows are never removed (deletion
   * is soft), so `offset` N is exactly "seq > N": every mode is a range scan on (chat_id, seq) and costs the
   * same at any depth.
   */
  async history(userId: string, chatId: string, query: HistoryQueryDto): Promise<HistoryPageDto> {
    const modes = [query.offset, query.beforeSeq, query.afterSeq].filter((v) => v !== undefined).length;
    if (modes > 1) {
      throw new AppError('VALIDATION_FAILED', 'Use only one of offset, beforeSeq and afterSeq', [
        { field: 'offset', errors: ['only one of offset, beforeSeq and afterSeq may be given'] },
      ]);
    }
    await this.membership.require(chatId, userId);
    const limit = query.limit;
    const olderFirst = query.beforeSeq !== undefined;
    const rows: MessageRow[] = olderFirst
      ? await this.db.query(
          `SELECT * FROM messages WHERE chat_id = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3`,
          [chatId, query.beforeSeq, limit + 1],
        )
      : await this.db.query(
          `SELECT * FROM messages WHERE chat_id = $1 AND seq > $2 ORDER BY seq ASC LIMIT $3`,
          [chatId, query.afterSeq ?? query.offset ?? 0, limit + 1],
        );
    const hasMore = rows.length > limit;
    const page = rows.slice(0, limit);
    if (olderFirst) page.reverse();
    const readAllSeq = await this.readAllSeq(chatId);
    return { items: page.map((r) => toMessageDto(r, readAllSeq)), hasMore };
  }

  async edit(userId: string, messageId: string, text: string): Promise<MessageDto> {
    const current = await this.ownMessage(userId, messageId);
    const rows = await updateReturning<MessageRow>(
      this.db,
      `UPDATE messages SET text = $2, edited_at = now() WHERE id = $1 AND deleted_at IS NULL RETURNING *`,
      [messageId, text],
    );
    if (rows.length === 0) throw new AppError('MESSAGE_DELETED', 'The message was deleted');
    const message = toMessageDto(rows[0], await this.readAllSeq(current.chat_id));
    await this.emitChange(Events.MessageUpdated, message);
    return message;
  }

  /** Soft delete: id and seq stay, the text goes. Deleting twice is harmless. */
  async remove(userId: string, messageId: string): Promise<void> {
    const current = await this.ownMessage(userId, messageId, true);
    const rows = await updateReturning<MessageRow>(
      this.db,
      `UPDATE messages SET text = NULL, deleted_at = now() WHERE id = $1 AND deleted_at IS NULL RETURNING *`,
      [messageId],
    );
    if (rows.length)
      await this.emitChange(
        Events.MessageDeleted,
        toMessageDto(rows[0], await this.readAllSeq(current.chat_id)),
      );
  }

  /** Moves the caller's read mark forward to `seq` (never back, never past the newest message). */
  async markRead(userId: string, chatId: string, seq: number): Promise<ReceiptDto> {
    await this.membership.require(chatId, userId);
    const moved = await updateReturning(
      this.db,
      `UPDATE chat_members cm SET last_read_seq = LEAST($3::int, c.last_seq) FROM chats c
        WHERE c.id = cm.chat_id AND cm.chat_id = $1 AND cm.user_id = $2 AND cm.last_read_seq < LEAST($3::int, c.last_seq)
        RETURNING cm.last_read_seq`,
      [chatId, userId, seq],
    );
    // Read after our own commit: of two members marking at once, the later read sees both marks, so the
    // last receipt sent carries the true minimum.
    const [state]: { last_read_seq: number | null; read_all_seq: number | null }[] = await this.db.query(
      `SELECT max(last_read_seq) FILTER (WHERE user_id = $2) AS last_read_seq, min(last_read_seq) AS read_all_seq
         FROM chat_members WHERE chat_id = $1`,
      [chatId, userId],
    );
    if (state.last_read_seq === null) throw new AppError('NOT_A_MEMBER', 'You are not a member of this chat');
    const receipt: ReceiptDto = {
      chatId,
      userId,
      lastReadSeq: state.last_read_seq,
      readAllSeq: state.read_all_seq ?? 0,
    };
    if (moved.length) {
      const recipientIds = (await this.membership.members(chatId)).map((m) => m.userId);
      this.events.emit(Events.Receipt, { receipt, recipientIds } satisfies ReceiptEvent);
    }
    return receipt;
  }

  async markMessageRead(userId: string, messageId: string): Promise<ReceiptDto> {
    const row = await this.visibleMessage(userId, messageId);
    return this.markRead(userId, row.chat_id, row.seq);
  }

  private async readAllSeq(chatId: string): Promise<number> {
    const [row]: { seq: number | null }[] = await this.db.query(
      `SELECT min(last_read_seq) AS seq FROM chat_members WHERE chat_id = $1`,
      [chatId],
    );
    return row.seq ?? 0;
  }

  private async visibleMessage(userId: string, messageId: string): Promise<MessageRow> {
    const rows: MessageRow[] = await this.db.query(`SELECT * FROM messages WHERE id = $1`, [messageId]);
    if (rows.length === 0) throw new AppError('MESSAGE_NOT_FOUND', 'Message not found');
    await this.membership.require(rows[0].chat_id, userId);
    return rows[0];
  }

  private async ownMessage(userId: string, messageId: string, allowDeleted = false): Promise<MessageRow> {
    const row = await this.visibleMessage(userId, messageId);
    if (row.sender_id !== userId) throw new AppError('FORBIDDEN', 'Only the sender can change a message');
    if (!allowDeleted && row.deleted_at) throw new AppError('MESSAGE_DELETED', 'The message was deleted');
    return row;
  }

  private async emitChange(event: string, message: MessageDto): Promise<void> {
    const recipientIds = (await this.membership.members(message.chatId)).map((m) => m.userId);
    this.events.emit(event, { message, recipientIds } satisfies MessageChangedEvent);
  }
}
