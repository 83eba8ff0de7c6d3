import { Body, Controller, Get, Param, Post, UseInterceptors } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { AuthUser, CurrentUser } from '../common/auth-user';
import { ErrorResponseDto } from '../common/error-response.dto';
import { IdempotentCreateInterceptor, CreateResult } from '../common/idempotent-create.interceptor';
import { IdParam } from '../common/ids';
import { InboxService } from './inbox.service';
import { ChatDto, OpenDirectChatDto } from './dto/chat.dto';

@ApiTags('chats')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ type: ErrorResponseDto })
@Controller('chats')
export class InboxController {
  constructor(private readonly inbox: InboxService) {}

  @Post('direct')
  @UseInterceptors(IdempotentCreateInterceptor)
  @ApiCreatedResponse({ type: ChatDto, description: 'Created now' })
  @ApiOkResponse({ type: ChatDto, description: 'Already existed' })
  @ApiNotFoundResponse({ type: ErrorResponseDto, description: 'No such user' })
  async openDirect(
    @CurrentUser() auth: AuthUser,
    @Body() dto: OpenDirectChatDto,
  ): Promise<CreateResult<ChatDto>> {
    const { chat, created } = await this.inbox.openDirect(auth.userId, dto.userId);
    return { created, value: chat };
  }

  @Get()
  @ApiOkResponse({ type: [ChatDto], description: 'Most recent activity first' })
  list(@CurrentUser() auth: AuthUser): Promise<ChatDto[]> {
    return this.inbox.list(auth.userId);
  }

  @Get(':id')
  @ApiOkResponse({ type: ChatDto })
  @ApiForbiddenResponse({ type: ErrorResponseDto, description: 'Not a member' })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  get(@CurrentUser() auth: AuthUser, @Param('id', IdParam) id: string): Promise<ChatDto> {
    return this.inbox.get(auth.userId, id);
  }
}
