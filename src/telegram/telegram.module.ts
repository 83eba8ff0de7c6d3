import { Module } from '@nestjs/common';
import { TelegramLinksModule } from './telegram-links.module';
import { TelegramController } from './telegram.controller';

/** API side: the linking endpoints (/telegram/link). */
@Module({ imports: [TelegramLinksModule], controllers: [TelegramController] })
export class TelegramModule {}
