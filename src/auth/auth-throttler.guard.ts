import { ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard, ThrottlerLimitDetail } from '@nestjs/throttler';
import { AppError } from '../common/app-error';

/**
 * Register, login and refresh share one budget per client IP (THROTTLE_AUTH_PER_MINUTE; the client IP is the
 * socket's unless TRUST_PROXY names the proxy in front). Failed logins also have per-account budgets (LoginLimiter).
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
