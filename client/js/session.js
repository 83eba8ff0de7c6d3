// Who is signed in, and the tokens. The server decides the mode by what it answers to `X-Refresh-Cookie: 1`:
// - 'cookie': the refresh token is an HttpOnly cookie (Path=/api/auth); the access token lives in memory only,
//   and each page load gets one with POST /api/auth/refresh {}.
// - 'stored': an older server returns the refresh token in the body; both tokens stay in localStorage.
// Refresh tokens are single use, so tabs take turns refreshing (Web Locks API).
import { ApiError, NetworkError, SignedOutError } from './errors.js';

const STORED_KEY = 'messenger.session';
/** Not a secret: only says that a refresh cookie should exist, so a fresh visitor makes no refresh call. */
const COOKIE_HINT_KEY = 'messenger.cookie-session';
const REFRESH_LOCK = 'messenger-refresh';
const COOKIE_HEADER = { 'x-refresh-cookie': '1' };

let mode = null;
let memoryToken = null;
let inflight = null;
let signedOutHandler = () => undefined;

function readStored() {
  try {
    const value = JSON.parse(localStorage.getItem(STORED_KEY));
    return value?.accessToken && value?.refreshToken ? value : null;
  } catch {
    return null;
  }
}

function adopt(tokens) {
  if (tokens.refreshToken) {
    mode = 'stored';
    memoryToken = null;
    localStorage.setItem(
      STORED_KEY,
      JSON.stringify({ accessToken: tokens.accessToken, refreshToken: tokens.refreshToken }),
    );
    localStorage.removeItem(COOKIE_HINT_KEY);
  } else {
    mode = 'cookie';
    memoryToken = tokens.accessToken;
    localStorage.setItem(COOKIE_HINT_KEY, '1');
    localStorage.removeItem(STORED_KEY);
  }
}

async function postAuth(path, body, extraHeaders = {}) {
  let res;
  try {
    res = await fetch(`/api${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...COOKIE_HEADER, ...extraHeaders },
      body: JSON.stringify(body),
      credentials: 'same-origin',
    });
  } catch {
    throw new NetworkError();
  }
  const data = await res.json().catch(() => null);
  const retryAfter = Number(res.headers.get('retry-after')) || undefined;
  if (!res.ok) throw new ApiError(res.status, data, retryAfter);
  return data;
}

export const session = {
  get mode() {
    return mode;
  },
  get signedIn() {
    return mode !== null;
  },
  get accessToken() {
    return mode === 'stored' ? (readStored()?.accessToken ?? null) : memoryToken;
  },

  /** Called when a refresh is refused: the user must log in again. */
  onSignedOut(handler) {
    signedOutHandler = handler;
  },

  /**
   * On page load: true when a session was resumed, false when there is none. Throws a NetworkError or a 503
   * ApiError when that cannot be told yet (offline, server restarting): the caller keeps the session and retries.
   */
  async resume() {
    if (readStored()) {
      mode = 'stored';
      return true;
    }
    if (!localStorage.getItem(COOKIE_HINT_KEY)) return false;
    mode = 'cookie';
    try {
      await this.refresh(null);
      return true;
    } catch (err) {
      if (err instanceof SignedOutError) return false;
      throw err;
    }
  },

  /** POST /auth/login or /auth/register; returns the user. */
  async signIn(path, body) {
    const data = await postAuth(path, body);
    adopt(data);
    return data.user;
  },

  /**
   * Gets a new access token unless someone already did since `staleToken` was used (another request of this
   * tab, or another tab in stored mode). Throws SignedOutError when the session is gone.
   */
  refresh(staleToken) {
    if (inflight) return inflight;
    const run = async () => {
      const current = this.accessToken;
      if (staleToken !== null && current && current !== staleToken) return;
      let stored = null;
      if (mode === 'stored') {
        stored = readStored();
        // Another tab moved the session to the cookie (a newer server): follow it.
        if (!stored && localStorage.getItem(COOKIE_HINT_KEY)) mode = 'cookie';
        else if (!stored) throw this.forget('expired');
      }
      try {
        adopt(await postAuth('/auth/refresh', stored ? { refreshToken: stored.refreshToken } : {}));
      } catch (err) {
        // Only a refused token ends the session; no network, 429 or 503 leave it for a later retry.
        if (err instanceof ApiError && (err.status === 401 || err.status === 400 || err.status === 403))
          throw this.forget('expired');
        throw err;
      }
    };
    inflight = (navigator.locks ? navigator.locks.request(REFRESH_LOCK, run) : run()).finally(() => {
      inflight = null;
    });
    return inflight;
  },

  /** Drops every local trace of the session; returns the SignedOutError to throw. */
  forget(reason = 'logout') {
    const wasSignedIn = mode !== null;
    mode = null;
    memoryToken = null;
    localStorage.removeItem(STORED_KEY);
    localStorage.removeItem(COOKIE_HINT_KEY);
    if (wasSignedIn && reason !== 'logout') signedOutHandler(reason);
    return new SignedOutError(reason);
  },

  /** Another tab logged out (or in as someone else): this one follows. */
  watchOtherTabs(onChange) {
    addEventListener('storage', (e) => {
      if (e.key !== STORED_KEY && e.key !== COOKIE_HINT_KEY && e.key !== null) return;
      if (mode && !readStored() && !localStorage.getItem(COOKIE_HINT_KEY)) onChange();
    });
  },
};
