import 'reflect-metadata';
import { createApp } from './app.factory';
import { ConfigError, loadConfig } from './config/app-config';

async function bootstrap(): Promise<void> {
  const config = loadConfig();
  const app = await createApp(config);
  await app.listen(config.port);
}

// A rejected promise nobody awaited (e.g. a Socket.IO broadcast while Redis reconnects) is logged; the
// process keeps serving instead of dropping every connection.
process.on('unhandledRejection', (reason) => {
  console.error(
    JSON.stringify({
      level: 50,
      time: Date.now(),
      context: 'API',
      msg: `Unhandled rejection: ${String(reason)}`,
    }),
  );
});

bootstrap().catch((err: unknown) => {
  // A bad configuration names the variable; anything else prints its stack.
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
