import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { ConfigError, loadConfig } from './config/app-config';
import { WorkerModule } from './worker.module';

async function bootstrap(): Promise<void> {
  const config = loadConfig();
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), { bufferLogs: true });
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks();
  await app.init();
  app.get(Logger).log('Worker started', 'Worker');
}

// A rejected promise nobody awaited (e.g. a Socket.IO broadcast while Redis reconnects) is logged; the
// process keeps serving instead of dropping every connection.
process.on('unhandledRejection', (reason) => {
  console.error(
    JSON.stringify({
      level: 50,
      time: Date.now(),
      context: 'Worker',
      msg: `Unhandled rejection: ${String(reason)}`,
    }),
  );
});

bootstrap().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
