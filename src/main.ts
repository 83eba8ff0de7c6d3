import 'reflect-metadata';
import type { AddressInfo } from 'net';
import { Logger } from 'nestjs-pino';
import { createApp } from './app.factory';
import { runProcess } from './common/run-process';
import { loadConfig } from './config/app-config';

runProcess('API', async () => {
  const config = loadConfig();
  const app = await createApp(config);
  await app.listen(config.port);
  // The one start-up line at info (Nest's own are debug, see logging.ts).
  const { port } = app.getHttpServer().address() as AddressInfo;
  const docs = config.docsEnabled ? ', docs at /docs' : '';
  app.get(Logger).log(`API started on port ${port}: REST at /api${docs}, Socket.IO at /socket.io`, 'API');
});
