import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { runProcess } from './common/run-process';
import { loadConfig } from './config/app-config';
import { TelegramBotService } from './telegram/telegram-bot.service';
import { WorkerModule } from './worker.module';

runProcess('Worker', async () => {
  const config = loadConfig();
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), { bufferLogs: true });
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks();
  await app.init();
  // The one start-up line at info (Nest's own are debug, see logging.ts). Tests and dev.sh wait for
  // "Worker started".
  app.get(Logger).log(`Worker started; ${app.get(TelegramBotService).startLine}`, 'Worker');
});
