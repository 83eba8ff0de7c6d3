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
import {
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { AuthUser, CurrentUser } from '../common/auth-user';
import { ErrorResponseDto } from '../common/error-response.dto';
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

@ApiTags('messages')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ type: ErrorResponseDto })
@ApiForbiddenResponse({ type: ErrorResponseDto, description: 'Not a member of the chat (or not the sender)' })
@ApiNotFoundResponse({ type: ErrorResponseDto })
@Controller()
export class MessagesController {
  constructor(private readonly messages: MessagesService) {}

  @Post('chats/:chatId/messages')
  @UseInterceptors(IdempotentCreateInterceptor)
  @ApiCreatedResponse({ type: MessageDto, description: 'Stored and delivered' })
  @ApiOkResponse({
    type: MessageDto,
    description: 'Replay: this clientMsgId was already stored; nothing is delivered again',
  })
  @ApiConflictResponse({
    type: ErrorResponseDto,
    description: 'clientMsgId already used with another text or chat',
  })
  @ApiTooManyRequestsResponse({
    type: ErrorResponseDto,
    description: 'THROTTLE_SEND_PER_10S exceeded; see Retry-After',
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
  @ApiOkResponse({
    type: HistoryPageDto,
    description: 'By offset (default), beforeSeq or afterSeq; oldest first',
  })
  history(
    @CurrentUser() auth: AuthUser,
    @Param('chatId', IdParam) chatId: string,
    @Query() query: HistoryQueryDto,
  ): Promise<HistoryPageDto> {
    return this.messages.history(auth.userId, chatId, query);
  }

  @Post('chats/:chatId/read')
  @HttpCode(200)
  @ApiOkResponse({ type: ReceiptDto, description: 'The read mark never moves backwards' })
  markRead(
    @CurrentUser() auth: AuthUser,
    @Param('chatId', IdParam) chatId: string,
    @Body() dto: MarkReadDto,
  ): Promise<ReceiptDto> {
    return this.messages.markRead(auth.userId, chatId, dto.seq);
  }

  @Post('messages/:id/read')
  @HttpCode(200)
  @ApiOkResponse({ type: ReceiptDto, description: 'Marks read up to this message' })
  markMessageRead(@CurrentUser() auth: AuthUser, @Param('id', IdParam) id: string): Promise<ReceiptDto> {
    return this.messages.markMessageRead(auth.userId, id);
  }

  @Patch('messages/:id')
  @ApiOkResponse({ type: MessageDto, description: 'Sender only' })
  @ApiConflictResponse({ type: ErrorResponseDto, description: 'The message was deleted' })
  edit(
    @CurrentUser() auth: AuthUser,
    @Param('id', IdParam) id: string,
    @Body() dto: MessageTextDto,
  ): Promise<MessageDto> {
    return this.messages.edit(auth.userId, id, dto.text);
  }

  @Delete('messages/:id')
  @HttpCode(204)
  @ApiNoContentResponse({
    description: 'Sender only; the message keeps its id and seq, its text becomes null',
  })
  remove(@CurrentUser() auth: AuthUser, @Param('id', IdParam) id: string): Promise<void> {
    return this.messages.remove(auth.userId, id);
  }
}
