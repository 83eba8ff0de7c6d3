import { randomUUID } from 'crypto';
import type { IncomingMessage, ServerResponse } from 'http';
import { RequestMethod } from '@nestjs/common';
import { Params } from 'nestjs-pino';
import type { LogFn, Logger } from 'pino';
import { AppConfig } from '../config/app-config';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

/**
 * The request's id: taken from X-Request-Id when sane, a new UUID otherwise, and echoed back in X-Request-Id.
 * pino-http asks first (so its log lines carry it); a request refused before pino-http saw it (unreadable
 * body, draining) gets its id here when the exception filter asks, by the same rule.
 */
export function requestIdOf(req: IncomingMessage, res: ServerResponse): string {
  const known = (req as { id?: unknown }).id;
  if (typeof known === 'string') return known;
  const given = req.headers['x-request-id'];
  const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
  (req as { id?: string }).id = id;
  if (!res.headersSent) res.setHeader('X-Request-Id', id);
  return id;
}

/**
 * Nest's own start-up lines (one per module, controller and route, then "successfully started") are details:
 * at `info`, a process start is the one line that main.ts or worker.ts writes, and the rest is `debug`.
 */
const NEST_STARTUP = new Set([
  'NestFactory',
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'WebSocketsController',
  'NestApplication',
]);

function startupDetailsToDebug(this: Logger, args: Parameters<LogFn>, method: LogFn, level: number): void {
  const first: unknown = args[0];
  const context =
    typeof first === 'object' && first !== null ? (first as { context?: unknown }).context : undefined;
  if (level === this.levels.values.info && typeof context === 'string' && NEST_STARTUP.has(context))
    return this.debug(...args);
  return method.apply(this, args);
}

/** JSON logs (pino) with a request id per request (requestIdOf); Nest's start-up details at debug. */
export function loggerParams(config: AppConfig): Params {
  return {
    forRoutes: [{ path: '{*path}', method: RequestMethod.ALL }],
    pinoHttp: {
      level: config.logLevel,
      hooks: { logMethod: startupDetailsToDebug },
      genReqId: requestIdOf,
      redact: ['req.headers.authorization', 'req.headers.cookie'],
      autoLogging: { ignore: (req) => (req.url ?? '').startsWith('/api/health') },
      customLogLevel: (_req, res, err) =>
        err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
    },
  };
}
