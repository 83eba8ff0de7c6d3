import { HttpException, HttpStatus } from '@nestjs/common';
import { STATUS_CODES } from 'http';
import { isUnavailable, UNAVAILABLE_RETRY_AFTER_SEC } from './unavailable';

/**
 * One error vocabulary for REST and Socket.IO: domain code throws AppError with a code, and the transports
 * map the code to an HTTP status (REST filter) or a failed acknowledgement (gateway).
 */
export const ERROR_STATUS = {
  VALIDATION_FAILED: 400,
  MALFORMED_JSON: 400,
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  INVALID_CREDENTIALS: 401,
  REFRESH_TOKEN_INVALID: 401,
  FORBIDDEN: 403,
  NOT_A_MEMBER: 403,
  GROUP_INVITE_FORBIDDEN: 403,
  NOT_FOUND: 404,
  USER_NOT_FOUND: 404,
  CHAT_NOT_FOUND: 404,
  GROUP_NOT_FOUND: 404,
  MESSAGE_NOT_FOUND: 404,
  SESSION_NOT_FOUND: 404,
  CONFLICT: 409,
  EMAIL_TAKEN: 409,
  USERNAME_TAKEN: 409,
  CLIENT_MSG_ID_CONFLICT: 409,
  MESSAGE_DELETED: 409,
  GROUP_FULL: 409,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  SERVICE_UNAVAILABLE: 503,
  /** The socket ack's name for SERVICE_UNAVAILABLE (the contract's). */
  UNAVAILABLE: 503,
  TELEGRAM_UNAVAILABLE: 503,
} as const satisfies Record<string, number>;

export type ErrorCode = keyof typeof ERROR_STATUS;

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    /** Seconds until a rate-limited caller may retry (sent as Retry-After / `retryAfter`). */
    readonly retryAfterSec?: number,
  ) {
    super(message);
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  code: ErrorCode;
  details?: unknown;
  retryAfter?: number;
  /** REST only: the request's X-Request-Id (sockets have no request to name). */
  requestId?: string;
}

const CODE_BY_STATUS: Record<number, ErrorCode> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  429: 'RATE_LIMITED',
  503: 'SERVICE_UNAVAILABLE',
};

/** PostgreSQL or Redis unreachable or too slow: a passing outage the client should retry, never a 500 or a 401. */
export function unavailable(): AppError {
  return new AppError(
    'SERVICE_UNAVAILABLE',
    'The service is temporarily unavailable; retry shortly',
    undefined,
    UNAVAILABLE_RETRY_AFTER_SEC,
  );
}

/**
 * Turns anything thrown into the public error shape; `internal` tells the caller to log it. `requestId`: the
 * REST request's id, so that a client can quote it and an operator find the request's log lines.
 */
export function toErrorBody(err: unknown, requestId?: string): { body: ErrorBody; internal: boolean } {
  const result = classify(err);
  if (requestId !== undefined) result.body.requestId = requestId;
  return result;
}

function classify(err: unknown): { body: ErrorBody; internal: boolean } {
  if (!(err instanceof AppError) && isUnavailable(err)) return classify(unavailable());
  if (err instanceof AppError)
    return { body: body(err.status, err.code, err.message, err.details, err.retryAfterSec), internal: false };

  if (err instanceof HttpException) {
    const status = err.getStatus();
    const response = err.getResponse();
    const message =
      typeof response === 'string'
        ? response
        : Array.isArray((response as any).message)
          ? (response as any).message.join('; ')
          : String((response as any).message ?? err.message);
    return {
      body: body(status, CODE_BY_STATUS[status] ?? (status >= 500 ? 'INTERNAL' : 'BAD_REQUEST'), message),
      internal: status >= 500,
    };
  }

  return {
    body: body(HttpStatus.INTERNAL_SERVER_ERROR, 'INTERNAL', 'Internal server error'),
    internal: true,
  };
}

function body(
  status: number,
  code: ErrorCode,
  message: string,
  details?: unknown,
  retryAfter?: number,
): ErrorBody {
  const result: ErrorBody = { statusCode: status, error: STATUS_CODES[status] ?? 'Error', message, code };
  if (details !== undefined) result.details = details;
  if (retryAfter !== undefined) result.retryAfter = retryAfter;
  return result;
}
