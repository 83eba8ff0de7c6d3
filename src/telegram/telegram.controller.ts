import { Controller, Delete, Get, HttpCode, Post } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiProperty,
  ApiTags,
} from '@nestjs/swagger';
import { ApiEndpoint, EXAMPLE } from '../common/api-docs';
import { AuthUser, CurrentUser } from '../common/auth-user';
import {
  LINK_TOKEN_TTL_SEC,
  LINK_TOKENS_PER_MINUTE,
  LinkStatus,
  TelegramLinksService,
} from './telegram-links.service';

class TelegramLinkDto {
  @ApiProperty({
    example: 'https://t.me/messenger_bot?start=q8Zt3vX1kP0aLw9sYc2dRf7mNh4jBe6u',
    description: 'Open it in Telegram and press Start',
  })
  url: string;
  @ApiProperty({
    format: 'date-time',
    example: '2026-05-04T09:40:00.000Z',
    description: 'The link works once, until then',
  })
  expiresAt: string;
}

class TelegramStatusDto implements LinkStatus {
  @ApiProperty({ example: true })
  linked: boolean;
  @ApiProperty({
    example: true,
    description:
      'Whether this server has a Telegram bot (TELEGRAM_BOT_TOKEN); without one, creating a link is 503 ' +
      'TELEGRAM_UNAVAILABLE, so a client need not offer it',
  })
  available: boolean;
  @ApiProperty({
    required: false,
    type: String,
    nullable: true,
    example: 'alice_tg',
    description: 'When linked: the Telegram username (null when the Telegram account has none)',
  })
  telegramUsername?: string | null;
  @ApiProperty({
    required: false,
    format: 'date-time',
    example: EXAMPLE.createdAt,
    description: 'When linked',
  })
  linkedAt?: string;
}

@ApiTags('telegram')
@Controller('telegram/link')
export class TelegramController {
  constructor(private readonly links: TelegramLinksService) {}

  @Post()
  @ApiEndpoint({
    summary: 'Create a one-time link to connect Telegram',
    description:
      `\`url\` = \`https://t.me/<bot>?start=<token>\`: opening it and pressing Start links your account, after ` +
      `which the bot tells you about messages that reach you while you are offline and stay unread. The ` +
      `token works once, for ` +
      `${LINK_TOKEN_TTL_SEC / 60} minutes, and a newer one revokes your older ones; at most ` +
      `${LINK_TOKENS_PER_MINUTE} per minute. Your sockets get \`telegram:linked\` once it is done.`,
    errors: [
      {
        code: 'RATE_LIMITED',
        when: `more than ${LINK_TOKENS_PER_MINUTE} links in a minute`,
        message: 'Too many Telegram links; try again shortly',
      },
      'TELEGRAM_UNAVAILABLE',
    ],
  })
  @ApiCreatedResponse({ type: TelegramLinkDto })
  create(@CurrentUser() auth: AuthUser): Promise<TelegramLinkDto> {
    return this.links.createLink(auth.userId);
  }

  @Get()
  @ApiEndpoint({ summary: 'Whether your account is linked to Telegram' })
  @ApiOkResponse({ type: TelegramStatusDto })
  status(@CurrentUser() auth: AuthUser): Promise<TelegramStatusDto> {
    return this.links.status(auth.userId);
  }

  @Delete()
  @HttpCode(204)
  @ApiEndpoint({
    summary: 'Unlink Telegram',
    description:
      "No more Telegram notifications; 204 also when nothing was linked. (The bot's /stop does the same.)",
  })
  @ApiNoContentResponse({ description: 'Not linked (any more)' })
  unlink(@CurrentUser() auth: AuthUser): Promise<void> {
    return this.links.unlink(auth.userId);
  }
}
