import type { Request } from 'express';
import { authAccountOf } from './auth-throttler.guard';

const req = (body: unknown, cookie?: string) => ({ body, headers: { cookie } }) as unknown as Request;

describe('authAccountOf (the per-account auth budget)', () => {
  it('names the login, the username or the refresh token session, lower-cased', () => {
    expect(authAccountOf(req({ login: 'Alice' }))).toBe('login:alice');
    expect(authAccountOf(req({ username: 'BOB', email: 'b@x.y' }))).toBe('username:bob');
    expect(authAccountOf(req({ refreshToken: 'ABC-123.secret' }))).toBe('session:abc-123');
    expect(authAccountOf(req({}, 'refresh_token=S1.secret'))).toBe('session:s1');
    expect(authAccountOf(req({ password: 'x' }))).toBeUndefined();
  });

  it('keeps keys short whatever the body holds (it runs before validation)', () => {
    expect(authAccountOf(req({ login: 'x'.repeat(60_000) }))).toBe(`login:${'x'.repeat(128)}`);
    expect(authAccountOf(req({ refreshToken: `${'s'.repeat(60_000)}.x` }))).toBe(
      `session:${'s'.repeat(128)}`,
    );
  });
});
