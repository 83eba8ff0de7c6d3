import { json, NextFunction, Request, RequestHandler, Response } from 'express';
import { AppError } from './app-error';
import { checkInput } from './validation';

/**
 * express.json() whose failures reach the exception filter as AppErrors: Nest would otherwise rewrap a
 * parse error as a bare BadRequestException and lose what went wrong.
 */
export function jsonBody(limitBytes: number): RequestHandler {
  const parse = json({ limit: limitBytes });
  return (req: Request, res: Response, next: NextFunction) =>
    parse(req, res, (err?: { type?: string; message?: string }) => {
      if (!err) {
        try {
          checkInput(req.body);
        } catch (invalid) {
          return next(invalid);
        }
        return next();
      }
      if (err.type === 'entity.parse.failed')
        return next(new AppError('MALFORMED_JSON', 'Request body is not valid JSON'));
      if (err.type === 'entity.too.large') {
        return next(new AppError('PAYLOAD_TOO_LARGE', `Request body is larger than ${limitBytes} bytes`));
      }
      return next(new AppError('BAD_REQUEST', err.message ?? 'Unreadable request body'));
    });
}
