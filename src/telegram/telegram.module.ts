import { Module } from '@nestjs/common';
import { TelegramLinksService } from './telegram-links.service';
import { TelegramController } from './telegram.controller';

/** API side: linking endpoints. */
@Module({ controllers: [TelegramController], providers: [TelegramLinksService] })
export class TelegramModule {}
