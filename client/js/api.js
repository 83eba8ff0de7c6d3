// REST calls with the bearer token; a 401 refreshes once and retries.
import { session } from './session.js';

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message ?? `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

/** Refresh tokens are single use: tabs take turns (Web Locks), and a tab reuses a token another tab just got. */
export async function refreshTokens(staleRefreshToken) {
  const run = async () => {
    const current = session.get();
    if (!current) throw new ApiError(401, { message: 'Logged out' });
    if (current.refreshToken !== staleRefreshToken) return current; // another tab already refreshed
    const res = await fetch('/api/auth/refresh', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refreshToken: current.refreshToken }),
    });
    if (!res.ok) {
      session.clear();
      throw new ApiError(res.status, await res.json().catch(() => null));
    }
    const tokens = await res.json();
    session.set(tokens);
    return tokens;
  };
  return navigator.locks ? navigator.locks.request('messenger-refresh', run) : run();
}

export async function api(method, path, body) {
  for (let attempt = 0; ; attempt++) {
    const tokens = session.get();
    const headers = {};
    if (tokens) headers.authorization = `Bearer ${tokens.accessToken}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`/api${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (res.status === 401 && tokens && attempt === 0 && !path.startsWith('/auth/')) {
      await refreshTokens(tokens.refreshToken);
      continue;
    }
    const data = res.status === 204 ? null : await res.json().catch(() => null);
    if (!res.ok) throw new ApiError(res.status, data);
    return data;
  }
}
