import type { Request, Response } from 'express';
import { parse } from 'cookie';

/**
 * The web client's refresh-token transport: an HttpOnly cookie that page scripts cannot read, sent only to
 * /api/auth and only by this site (SameSite=Strict). A request opts in with `X-Refresh-Cookie: 1`; the
 * response then carries the token in the cookie instead of the body. Other clients keep the JSON body flow.
 */
export const REFRESH_COOKIE = 'refresh_token';
export const REFRESH_COOKIE_HEADER = 'x-refresh-cookie';
const PATH = '/api/auth';

export function wantsCookie(req: Request): boolean {
  return req.get(REFRESH_COOKIE_HEADER) === '1';
}

export function refreshTokenFromCookie(req: Request): string | undefined {
  const header = req.headers.cookie;
  return header ? parse(header)[REFRESH_COOKIE] : undefined;
}

export function setRefreshCookie(res: Response, token: string, maxAgeSec: number): void {
  res.cookie(REFRESH_COOKIE, token, {
    httpOnly: true,
    secure: true,
    sameSite: 'strict',
    path: PATH,
    maxAge: maxAgeSec * 1000,
  });
}

export function clearRefreshCookie(res: Response): void {
  res.clearCookie(REFRESH_COOKIE, { httpOnly: true, secure: true, sameSite: 'strict', path: PATH });
}
