import { ConfigError } from '../config/app-config';

/** How both entry points (API and worker) start and fail. */
export function runProcess(name: string, bootstrap: () => Promise<void>): void {
  // A rejected promise nobody awaited (e.g. a Socket.IO broadcast while Redis reconnects) is logged; the
  // process keeps serving instead of dropping every connection.
  process.on('unhandledRejection', (reason) => {
    console.error(
      JSON.stringify({
        level: 50,
        time: Date.now(),
        context: name,
        msg: `Unhandled rejection: ${String(reason)}`,
      }),
    );
  });
  bootstrap().catch((err: unknown) => {
    // A bad configuration names the variable; anything else prints its stack.
    console.error(err instanceof ConfigError ? err.message : err);
    process.exit(1);
  });
}
