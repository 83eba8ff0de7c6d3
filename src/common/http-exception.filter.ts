import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { toErrorBody } from './app-error';
import { requestIdOf } from './logging';

/**
 * The one REST error shape: `{ statusCode, error, message, code, details?, retryAfter?, requestId }`, with
 * Retry-After when there is a retryAfter (429, 503).
 */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const res = http.getResponse<Response>();
    const { body, internal } = toErrorBody(exception, requestIdOf(http.getRequest<Request>(), res));
    if (internal) this.logger.error(exception instanceof Error ? exception.stack : String(exception));
    if (res.headersSent) return;
    if (body.retryAfter !== undefined) res.setHeader('Retry-After', String(body.retryAfter));
    res.status(body.statusCode).json(body);
  }
}
