import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { TelegramLinkEntity } from './telegram-link.entity';
import { TelegramLinksRepository } from './telegram-links.repository';
import { TelegramLinksService } from './telegram-links.service';

/** Account <-> Telegram chat links: the API creates link tokens, the bot spends them. */
@Module({
  imports: [TypeOrmModule.forFeature([TelegramLinkEntity])],
  providers: [TelegramLinksRepository, TelegramLinksService],
  exports: [TelegramLinksService],
})
export class TelegramLinksModule {}
