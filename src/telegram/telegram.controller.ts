import { Controller, Delete, Get, HttpCode, Post } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiProperty,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { AuthUser, CurrentUser } from '../common/auth-user';
import { ErrorResponseDto } from '../common/error-response.dto';
import { LinkStatus, TelegramLinksService } from './telegram-links.service';

class TelegramLinkDto {
  @ApiProperty({
    example: 'https://t.me/messenger_bot?start=Zx3...',
    description: 'Open it in Telegram and press Start',
  })
  url: string;
  @ApiProperty({ format: 'date-time', description: 'The link works once, until then' })
  expiresAt: string;
}

class TelegramStatusDto implements LinkStatus {
  @ApiProperty()
  linked: boolean;
  @ApiProperty({ required: false, type: String, nullable: true, example: 'alice_tg' })
  telegramUsername?: string | null;
  @ApiProperty({ required: false, format: 'date-time' })
  linkedAt?: string;
}

@ApiTags('telegram')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ type: ErrorResponseDto })
@Controller('telegram/link')
export class TelegramController {
  constructor(private readonly links: TelegramLinksService) {}

  @Post()
  @ApiCreatedResponse({ type: TelegramLinkDto })
  @ApiServiceUnavailableResponse({
    type: ErrorResponseDto,
    description: 'No bot configured (TELEGRAM_BOT_TOKEN unset)',
  })
  create(@CurrentUser() auth: AuthUser): Promise<TelegramLinkDto> {
    return this.links.createLink(auth.userId);
  }

  @Get()
  @ApiOkResponse({ type: TelegramStatusDto })
  status(@CurrentUser() auth: AuthUser): Promise<TelegramStatusDto> {
    return this.links.status(auth.userId);
  }

  @Delete()
  @HttpCode(204)
  @ApiNoContentResponse()
  unlink(@CurrentUser() auth: AuthUser): Promise<void> {
    return this.links.unlink(auth.userId);
  }
}
