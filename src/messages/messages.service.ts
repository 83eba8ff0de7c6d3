import { Injectable } from '@nestjs/common';
import { AccessService } from '../chats/access.service';
import { ChatsRepository } from '../chats/chats.repository';
import { MembershipService } from '../chats/membership.service';
import { AppError } from '../common/app-error';
import { EventBus } from '../common/events';
import { HistoryPageDto, HistoryQueryDto, MessageDto, ReceiptDto, toMessageDto } from './dto/message.dto';
import type { CreatedMessage } from './messages.events';
import { Message, MessagesRepository } from './messages.repository';
import { SendBatcher } from './send-batcher';

/** A pub/sub catch-up re-sends at most this many recent messages per chat. */
const RECENT_PER_CHAT = 500;

export interface SendInput {
  text: string;
  clientMsgId: string;
}

/** Sending, history, edits, deletions and read marks: the rules; the SQL is in the repositories. */
@Injectable()
export class MessagesService {
  constructor(
    private readonly messages: MessagesRepository,
    private readonly chats: ChatsRepository,
    private readonly membership: MembershipService,
    private readonly access: AccessService,
    private readonly batcher: SendBatcher,
    private readonly events: EventBus,
  ) {}

  /**
   * The one send path for REST and Socket.IO; `created` is false for a replay of a stored clientMsgId.
   * Sends are stored in batches (SendBatcher: one statement and one commit for many); idempotency is the
   * unique index's decision inside that statement, so it holds across instances and transports, and so does
   * the membership check. The (cached) membership lookup here only explains a refusal.
   */
  async send(
    userId: string,
    chatId: string,
    input: SendInput,
    originSocketId?: string,
  ): Promise<{ message: MessageDto; created: boolean }> {
    const result = await this.batcher.submit(
      { chatId, senderId: userId, clientMsgId: input.clientMsgId, text: input.text },
      originSocketId,
    );
    switch (result.kind) {
      case 'inserted':
        return { message: result.message, created: true };
      case 'existing':
        // The statement checks membership for new messages only; a replay shows the message as it is now.
        await this.access.requireMember(chatId, userId);
        return { message: await this.asReplay(result.message, chatId, input), created: false };
      case 'refused':
        await this.access.requireMember(chatId, userId); // 404 or 403, whichever it is
        throw new AppError('NOT_A_MEMBER', 'You are not a member of this chat');
      case 'rate-limited': {
        // Replays of a stored message are free, even over the limit (for members only, as ever).
        await this.access.requireMember(chatId, userId);
        const stored = await this.messages.findBySender(userId, input.clientMsgId);
        if (stored) return { message: await this.asReplay(stored, chatId, input), created: false };
        throw new AppError('RATE_LIMITED', 'Sending too fast, slow down', undefined, result.retryAfterSec);
      }
    }
  }

  /**
   * The stored message of (sender, clientMsgId); 409 when it was for another chat or another text. Once the
   * message was edited or deleted its first text is gone, so only the chat is compared: a retry that arrives
   * after an edit on another device is still a replay.
   */
  private async asReplay(stored: Message, chatId: string, input: SendInput): Promise<MessageDto> {
    const unchanged = stored.deletedAt === null && stored.editedAt === null;
    if (stored.chatId !== chatId || (unchanged && stored.text !== input.text)) {
      throw new AppError(
        'CLIENT_MSG_ID_CONFLICT',
        'This clientMsgId was already used for a different message',
      );
    }
    return toMessageDto(stored, await this.chats.readAllSeq(chatId));
  }

  /** Messages created since `since` in these users' chats, addressed to each chat's members (oldest first). */
  async recentFor(userIds: string[], since: Date): Promise<CreatedMessage[]> {
    const rows = await this.messages.recentInChatsOf(userIds, since, RECENT_PER_CHAT);
    return rows.map(({ memberIds, readAllSeq, ...m }) => ({
      message: toMessageDto(m, readAllSeq),
      recipientIds: memberIds,
    }));
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
    const { limit } = query;
    const olderFirst = query.beforeSeq !== undefined;
    const from = olderFirst
      ? { beforeSeq: query.beforeSeq! }
      : { afterSeq: query.afterSeq ?? query.offset ?? 0 };
    const {
      isMember,
      messages: rows,
      readAllSeq,
    } = await this.messages.page(chatId, userId, from, limit + 1);
    if (!isMember) {
      await this.access.requireMember(chatId, userId); // 404 or 403, whichever it is
      throw new AppError('NOT_A_MEMBER', 'You are not a member of this chat');
    }
    const hasMore = rows.length > limit;
    const page = rows.slice(0, limit);
    if (olderFirst) page.reverse();
    return { items: page.map((m) => toMessageDto(m, readAllSeq)), hasMore };
  }

  async edit(userId: string, messageId: string, text: string): Promise<MessageDto> {
    const current = await this.ownMessage(userId, messageId);
    if (current.deletedAt) throw new AppError('MESSAGE_DELETED', 'The message was deleted');
    const edited = await this.messages.editText(messageId, text);
    if (!edited) throw new AppError('MESSAGE_DELETED', 'The message was deleted');
    const message = toMessageDto(edited, await this.chats.readAllSeq(current.chatId));
    await this.emitChange('message.updated', message);
    return message;
  }

  /** Soft delete: id and seq stay, the text goes. Deleting twice is harmless. */
  async remove(userId: string, messageId: string): Promise<void> {
    const current = await this.ownMessage(userId, messageId);
    const deleted = await this.messages.softDelete(messageId);
    if (deleted)
      await this.emitChange(
        'message.deleted',
        toMessageDto(deleted, await this.chats.readAllSeq(current.chatId)),
      );
  }

  /** Moves the caller's read mark forward to `seq` (never back, never past the newest message). */
  async markRead(userId: string, chatId: string, seq: number): Promise<ReceiptDto> {
    await this.access.requireMember(chatId, userId);
    const moved = await this.chats.advanceReadMark(chatId, userId, seq);
    // Read after our own commit: of two members marking at once, the later read sees both marks, so the
    // last receipt sent carries the true minimum.
    const state = await this.chats.readState(chatId, userId);
    if (state.lastReadSeq === null) throw new AppError('NOT_A_MEMBER', 'You are not a member of this chat');
    const receipt: ReceiptDto = {
      chatId,
      userId,
      lastReadSeq: state.lastReadSeq,
      readAllSeq: state.readAllSeq,
    };
    if (moved)
      this.events.emit('receipt', { receipt, recipientIds: await this.membership.memberIds(chatId) });
    return receipt;
  }

  async markMessageRead(userId: string, messageId: string): Promise<ReceiptDto> {
    const message = await this.visibleMessage(userId, messageId);
    return this.markRead(userId, message.chatId, message.seq);
  }

  private async visibleMessage(userId: string, messageId: string): Promise<Message> {
    const message = await this.messages.findById(messageId);
    if (!message) throw new AppError('MESSAGE_NOT_FOUND', 'Message not found');
    await this.access.requireMember(message.chatId, userId);
    return message;
  }

  private async ownMessage(userId: string, messageId: string): Promise<Message> {
    const message = await this.visibleMessage(userId, messageId);
    if (message.type === 'system') throw new AppError('FORBIDDEN', 'Service messages cannot be changed');
    this.access.requireAuthor(message.senderId, userId);
    return message;
  }

  private async emitChange(event: 'message.updated' | 'message.deleted', message: MessageDto): Promise<void> {
    this.events.emit(event, { message, recipientIds: await this.membership.memberIds(message.chatId) });
  }
}
