import { Body, Controller, Get, Param, ParseUUIDPipe, Post, UseInterceptors } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { AuthUser, CurrentUser } from '../auth/current-user.decorator';
import { CreatedStatusInterceptor, CreateResult } from '../common/created-status.interceptor';
import { ErrorResponseDto } from '../common/error-response.dto';
import { ChatsService } from './chats.service';
import { ChatDto, OpenDirectChatDto } from './dto/chat.dto';

@ApiTags('chats')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ type: ErrorResponseDto })
@Controller('chats')
export class ChatsController {
  constructor(private readonly chats: ChatsService) {}

  @Post('direct')
  @UseInterceptors(CreatedStatusInterceptor)
  @ApiCreatedResponse({ type: ChatDto, description: 'Created now' })
  @ApiOkResponse({ type: ChatDto, description: 'Already existed' })
  @ApiNotFoundResponse({ type: ErrorResponseDto, description: 'No such user' })
  async openDirect(
    @CurrentUser() auth: AuthUser,
    @Body() dto: OpenDirectChatDto,
  ): Promise<CreateResult<ChatDto>> {
    const { chat, created } = await this.chats.openDirect(auth.userId, dto.userId);
    return { created, value: chat };
  }

  @Get()
  @ApiOkResponse({ type: [ChatDto], description: 'Most recent activity first' })
  list(@CurrentUser() auth: AuthUser): Promise<ChatDto[]> {
    return this.chats.list(auth.userId);
  }

  @Get(':id')
  @ApiOkResponse({ type: ChatDto })
  @ApiForbiddenResponse({ type: ErrorResponseDto, description: 'Not a member' })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  get(@CurrentUser() auth: AuthUser, @Param('id', new ParseUUIDPipe()) id: string): Promise<ChatDto> {
    return this.chats.get(auth.userId, id);
  }
}
