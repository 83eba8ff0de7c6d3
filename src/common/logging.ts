import { randomUUID } from 'crypto';
import type { IncomingMessage, ServerResponse } from 'http';
import { RequestMethod } from '@nestjs/common';
import { Params } from 'nestjs-pino';
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

/** JSON logs (pino) with a request id per request (requestIdOf). */
export function loggerParams(config: AppConfig): Params {
  return {
    forRoutes: [{ path: '{*path}', method: RequestMethod.ALL }],
    pinoHttp: {
      level: config.logLevel,
      genReqId: requestIdOf,
      redact: ['req.headers.authorization', 'req.headers.cookie'],
      autoLogging: { ignore: (req) => (req.url ?? '').startsWith('/api/health') },
      customLogLevel: (_req, res, err) =>
        err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
    },
  };
}
