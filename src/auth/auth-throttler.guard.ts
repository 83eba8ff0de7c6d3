import { ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard, ThrottlerLimitDetail } from '@nestjs/throttler';
import type { Request } from 'express';
import { AppError } from '../common/app-error';
import { refreshTokenFromCookie } from './refresh-cookie';

/**
 * Register, login and refresh share one budget per client IP and one per account (THROTTLE_AUTH_PER_MINUTE
 * each; the client IP is the socket's unless TRUST_PROXY names the proxy in front). Failed logins also have
 * budgets of their own over 15 minutes (LoginLimiter).
 */
@Injectable()
export class AuthThrottlerGuard extends ThrottlerGuard {
  protected override generateKey(_context: ExecutionContext, tracker: string, throttlerName: string): string {
    return `throttle:auth:${throttlerName}:${tracker}`;
  }

  protected override async throwThrottlingException(
    _context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    throw new AppError(
      'RATE_LIMITED',
      'Too many attempts, try again later',
      undefined,
      Math.max(1, detail.timeToBlockExpire),
    );
  }
}

/** Longer login names, usernames and session ids do not exist (validation refuses them). */
const MAX_KEY_CHARS = 128;

/**
 * The account an auth request is about, for the per-account budget: the login name, the username being
 * registered, or the session a refresh token belongs to (body or cookie). Lower-cased, like the lookups.
 * Undefined when the request names none (it fails validation anyway): such requests count per IP only.
 */
export function authAccountOf(req: Request): string | undefined {
  const body = (req.body ?? {}) as Record<string, unknown>;
  for (const field of ['login', 'username'])
    // Cut to a sane length: this runs before validation, and a key should not be as long as the body.
    if (typeof body[field] === 'string' && body[field])
      return `${field}:${body[field].slice(0, MAX_KEY_CHARS).toLowerCase()}`;
  const refresh = typeof body.refreshToken === 'string' ? body.refreshToken : refreshTokenFromCookie(req);
  const sessionId = refresh?.split('.', 1)[0].slice(0, MAX_KEY_CHARS);
  return sessionId ? `session:${sessionId.toLowerCase()}` : undefined;
}
