import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Patch,
  Post,
  Query,
  UseInterceptors,
} from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiEndpoint } from '../common/api-docs';
import { AuthUser, CurrentUser } from '../common/auth-user';
import { IdempotentCreateInterceptor, CreateResult } from '../common/idempotent-create.interceptor';
import { IdParam } from '../common/ids';
import {
  HistoryPageDto,
  HistoryQueryDto,
  MarkReadDto,
  MessageDto,
  MessageTextDto,
  ReceiptDto,
  SendMessageDto,
} from './dto/message.dto';
import { MessagesService } from './messages.service';

const TEXT_RULE = 'text must be a string of 1 to 4096 characters after trimming';
const textInvalid = {
  code: 'VALIDATION_FAILED',
  message: TEXT_RULE,
  details: [{ field: 'text', errors: [TEXT_RULE] }],
} as const;

const senderOnly = {
  code: 'FORBIDDEN',
  when: 'only the sender may change a message, and service messages cannot be changed',
  message: 'Only the sender can change a message',
} as const;

/** Both read-mark operations answer the same. */
const receiptResponse = ApiOkResponse({
  type: ReceiptDto,
  description: "Your read mark and the chat's readAllSeq, as they are now",
});

@ApiTags('messages')
@Controller()
export class MessagesController {
  constructor(private readonly messages: MessagesService) {}

  @Post('chats/:chatId/messages')
  @UseInterceptors(IdempotentCreateInterceptor)
  @ApiEndpoint({
    summary: 'Send a message',
    description:
      'Idempotent by `clientMsgId`: the same `(you, clientMsgId)` again, at once or later, on any instance or ' +
      'over Socket.IO, answers 200 with the stored message and delivers nothing twice, even beyond the rate ' +
      'limit; with another text or in another chat it is 409 (a replay of a message edited or deleted since ' +
      "answers 200 whatever the text; a replay is for members only). A new message gets the chat's next `seq` and reaches every member's sockets as " +
      "`message:new` (the sender's other sockets included). `text` is trimmed and must then be 1-4096 " +
      'characters.',
    errors: [
      textInvalid,
      'NOT_A_MEMBER',
      'CHAT_NOT_FOUND',
      'CLIENT_MSG_ID_CONFLICT',
      {
        code: 'RATE_LIMITED',
        when: 'more than THROTTLE_SEND_PER_10S new messages in 10 seconds (replays are free)',
        message: 'Sending too fast, slow down',
      },
    ],
  })
  @ApiCreatedResponse({ type: MessageDto, description: 'Stored and delivered' })
  @ApiOkResponse({
    type: MessageDto,
    description: 'Replay: this clientMsgId was already stored; nothing is delivered again',
  })
  async send(
    @CurrentUser() auth: AuthUser,
    @Param('chatId', IdParam) chatId: string,
    @Body() dto: SendMessageDto,
  ): Promise<CreateResult<MessageDto>> {
    const { message, created } = await this.messages.send(auth.userId, chatId, dto);
    return { created, value: message };
  }

  @Get('history/:chatId')
  @ApiEndpoint({
    summary: "A page of a chat's history (members only)",
    description:
      'Oldest first, in one of three ways (at most one of `offset`, `beforeSeq`, `afterSeq`):\n' +
      '- `offset` (default 0): skip that many from the first message;\n' +
      '- `beforeSeq=N`: the `limit` messages right before seq N (the newest page: `beforeSeq` = lastSeq + 1; ' +
      '`hasMore` then means older ones exist);\n' +
      '- `afterSeq=N`: the messages after seq N (catch-up after a reconnect).\n\n' +
      '`limit` 1-100, default 50. seq has no gaps, so nothing committed is ever skipped. Deleted messages ' +
      'keep their place with `text: null`; service messages are included.',
    errors: [
      {
        code: 'VALIDATION_FAILED',
        when: 'a malformed query, or more than one of offset, beforeSeq and afterSeq',
        message: 'Use only one of offset, beforeSeq and afterSeq',
        details: [{ field: 'offset', errors: ['only one of offset, beforeSeq and afterSeq may be given'] }],
      },
      'NOT_A_MEMBER',
      'CHAT_NOT_FOUND',
    ],
  })
  @ApiOkResponse({ type: HistoryPageDto, description: 'Oldest first' })
  history(
    @CurrentUser() auth: AuthUser,
    @Param('chatId', IdParam) chatId: string,
    @Query() query: HistoryQueryDto,
  ): Promise<HistoryPageDto> {
    return this.messages.history(auth.userId, chatId, query);
  }

  @Post('chats/:chatId/read')
  @HttpCode(200)
  @ApiEndpoint({
    summary: 'Mark a chat read up to a seq',
    description:
      'Your read mark moves forward to `seq` and never backwards (nor past the newest message). When it moves, ' +
      'every member gets a `receipt`; a message is read by everyone once `readAllSeq` reaches its seq.',
    errors: ['NOT_A_MEMBER', 'CHAT_NOT_FOUND'],
  })
  @receiptResponse
  markRead(
    @CurrentUser() auth: AuthUser,
    @Param('chatId', IdParam) chatId: string,
    @Body() dto: MarkReadDto,
  ): Promise<ReceiptDto> {
    return this.messages.markRead(auth.userId, chatId, dto.seq);
  }

  @Post('messages/:id/read')
  @HttpCode(200)
  @ApiEndpoint({
    summary: 'Mark read up to a message',
    description: "The same as POST /chats/{chatId}/read with this message's chat and seq.",
    errors: ['NOT_A_MEMBER', 'MESSAGE_NOT_FOUND'],
  })
  @receiptResponse
  markMessageRead(@CurrentUser() auth: AuthUser, @Param('id', IdParam) id: string): Promise<ReceiptDto> {
    return this.messages.markMessageRead(auth.userId, id);
  }

  @Patch('messages/:id')
  @ApiEndpoint({
    summary: 'Edit a message (sender only)',
    description: 'Replaces the text and sets `editedAt`; members get `message:updated`.',
    errors: [textInvalid, 'NOT_A_MEMBER', senderOnly, 'MESSAGE_NOT_FOUND', 'MESSAGE_DELETED'],
  })
  @ApiOkResponse({ type: MessageDto, description: 'The edited message' })
  edit(
    @CurrentUser() auth: AuthUser,
    @Param('id', IdParam) id: string,
    @Body() dto: MessageTextDto,
  ): Promise<MessageDto> {
    return this.messages.edit(auth.userId, id, dto.text);
  }

  @Delete('messages/:id')
  @HttpCode(204)
  @ApiEndpoint({
    summary: 'Delete a message (sender only)',
    description:
      'Soft: the message keeps its `id` and `seq`, its `text` becomes null and `deletedAt` is set; members ' +
      'get `message:deleted`. Deleting it again changes nothing (204).',
    errors: ['NOT_A_MEMBER', senderOnly, 'MESSAGE_NOT_FOUND'],
  })
  @ApiNoContentResponse({ description: 'Deleted' })
  remove(@CurrentUser() auth: AuthUser, @Param('id', IdParam) id: string): Promise<void> {
    return this.messages.remove(auth.userId, id);
  }
}
