import { ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard, ThrottlerLimitDetail } from '@nestjs/throttler';
import { AppError } from '../common/app-error';
import { SessionStore } from './session.store';

/** Register, login and refresh share one budget per client IP and one per account (see auth.module.ts). */
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

/** The account an auth request is about: the login/username given, or the session a refresh token names. */
export function accountTracker(req: { ip?: string; body?: Record<string, unknown> }): string {
  const body = req.body ?? {};
  for (const field of ['login', 'username', 'email'] as const) {
    const value = body[field];
    if (typeof value === 'string' && value.trim())
      return `${field === 'email' ? 'email' : 'account'}:${value.trim().toLowerCase()}`;
  }
  const sessionId = SessionStore.sessionIdOf(body.refreshToken);
  return sessionId ? `session:${sessionId}` : `ip:${req.ip}`;
}
