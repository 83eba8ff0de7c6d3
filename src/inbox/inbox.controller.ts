import { Body, Controller, Get, Param, Patch, Post, UseInterceptors } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiEndpoint, EXAMPLE } from '../common/api-docs';
import { AuthUser, CurrentUser } from '../common/auth-user';
import { IdempotentCreateInterceptor, CreateResult } from '../common/idempotent-create.interceptor';
import { IdParam } from '../common/ids';
import { InboxService } from './inbox.service';
import { ChatDto, OpenDirectChatDto, UpdateChatDto } from './dto/chat.dto';

@ApiTags('chats')
@Controller('chats')
export class InboxController {
  constructor(private readonly inbox: InboxService) {}

  @Post('direct')
  @UseInterceptors(IdempotentCreateInterceptor)
  @ApiEndpoint({
    summary: 'Open the direct chat with a user (or your saved messages)',
    description:
      'Get-or-create: there is one direct chat per pair of users, however often and concurrently this is ' +
      'called (201 when this call created it, 200 when it existed). Your own id opens your "saved messages" ' +
      "chat. A new chat reaches both users' sockets as `chat:new`.",
    errors: [{ code: 'USER_NOT_FOUND', message: 'Unknown user', details: { userIds: [EXAMPLE.bobId] } }],
  })
  @ApiCreatedResponse({ type: ChatDto, description: 'Created now' })
  @ApiOkResponse({ type: ChatDto, description: 'Already existed' })
  async openDirect(
    @CurrentUser() auth: AuthUser,
    @Body() dto: OpenDirectChatDto,
  ): Promise<CreateResult<ChatDto>> {
    const { chat, created } = await this.inbox.openDirect(auth.userId, dto.userId);
    return { created, value: chat };
  }

  @Get()
  @ApiEndpoint({
    summary: 'Your chats',
    description:
      'Every chat you are a member of, most recent activity first, each with `lastMessage`, `unreadCount` ' +
      'and your `muted` setting.',
  })
  @ApiOkResponse({ type: [ChatDto], description: 'Most recent activity first' })
  list(@CurrentUser() auth: AuthUser): Promise<ChatDto[]> {
    return this.inbox.list(auth.userId);
  }

  @Get(':id')
  @ApiEndpoint({ summary: 'One chat (members only)', errors: ['NOT_A_MEMBER', 'CHAT_NOT_FOUND'] })
  @ApiOkResponse({ type: ChatDto })
  get(@CurrentUser() auth: AuthUser, @Param('id', IdParam) id: string): Promise<ChatDto> {
    return this.inbox.get(auth.userId, id);
  }

  @Patch(':id')
  @ApiEndpoint({
    summary: 'Mute or unmute a chat for yourself',
    description:
      "Your own setting: a muted chat raises no notifications for you (Telegram, and the web client's). Your " +
      'other devices get ' +
      '`chat:updated`; the other members see nothing.',
    errors: ['NOT_A_MEMBER', 'CHAT_NOT_FOUND'],
  })
  @ApiOkResponse({ type: ChatDto, description: 'The chat with your setting' })
  update(
    @CurrentUser() auth: AuthUser,
    @Param('id', IdParam) id: string,
    @Body() dto: UpdateChatDto,
  ): Promise<ChatDto> {
    return this.inbox.update(auth.userId, id, dto);
  }
}
