import 'reflect-metadata';
import { createApp } from './app.factory';
import { runProcess } from './common/run-process';
import { loadConfig } from './config/app-config';

runProcess('API', async () => {
  const config = loadConfig();
  const app = await createApp(config);
  await app.listen(config.port);
});
