import { Module } from '@nestjs/common';
import { SocketEmitterModule } from '../realtime/socket-emitter';
import { TelegramBotService } from './telegram-bot.service';
import { TelegramLinksModule } from './telegram-links.module';

/** Worker side: the Telegraf bot (/start <token>, /stop) and sending notifications. */
@Module({
  imports: [TelegramLinksModule, SocketEmitterModule],
  providers: [TelegramBotService],
  exports: [TelegramBotService],
})
export class TelegramBotModule {}
