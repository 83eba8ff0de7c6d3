import 'reflect-metadata';
import { createApp } from './app.factory';
import { ConfigError, loadConfig } from './config/app-config';

async function bootstrap(): Promise<void> {
  const config = loadConfig();
  const app = await createApp(config);
  await app.listen(config.port);
}

bootstrap().catch((err: unknown) => {
  // A bad configuration names the variable; anything else prints its stack.
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
