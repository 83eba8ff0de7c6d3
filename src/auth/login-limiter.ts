import { Inject, Injectable } from '@nestjs/common';
import { AppError } from '../common/app-error';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { RateLimiter } from '../redis/rate-limiter';

export const LOGIN_WINDOW_MS = 15 * 60_000;

/**
 * Failed-login budgets in the way OWASP recommends: per (login name, client IP), so a stranger guessing from
 * elsewhere cannot lock the owner out, plus a higher ceiling per login name from all addresses together against
 * distributed guessing. (Every auth request also counts against the per-IP limit, in the guard.) A unit is
 * taken before the password is checked, so concurrent guesses cannot overrun the budget, and given back when
 * the login succeeds. The login name is what was typed (a username and an email are two names), known or not,
 * so the limits reveal nothing: neither whether an account exists nor which email is whose.
 */
@Injectable()
export class LoginLimiter {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly limiter: RateLimiter,
  ) {}

  /** Reserves one failure for this attempt; 429 when a budget is spent. Returns what to call on success. */
  async reserve(loginName: string, ip: string): Promise<() => Promise<void>> {
    const perAccountIp = `login-fail:${loginName}:ip:${ip}`;
    const perAccount = `login-fail:${loginName}`;
    const wait = await this.limiter.take(
      [
        { key: perAccountIp, limit: this.config.throttle.loginFailuresPerAccountIp },
        { key: perAccount, limit: this.config.throttle.loginFailuresPerAccount },
      ],
      LOGIN_WINDOW_MS,
    );
    if (wait !== null) {
      throw new AppError(
        'RATE_LIMITED',
        'Too many failed logins with this name; try again later',
        undefined,
        wait,
      );
    }
    return async () => {
      // The owner got in from here: this address starts afresh, and the account ceiling gets its unit back.
      await this.limiter.reset([perAccountIp]);
      await this.limiter.refund([perAccount]);
    };
  }
}
