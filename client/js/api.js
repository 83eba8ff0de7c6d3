// REST calls on /api with the access token. A 401 refreshes once and retries; a 503 on a read waits as the
// server asks (Retry-After) and retries; neither ever signs the user out.
import { ApiError, NetworkError } from './errors.js';
import { session } from './session.js';
import { sleep } from './dom.js';

const MAX_WAIT_MS = 10_000;

export async function api(method, path, body, { retries = 2 } = {}) {
  for (let attempt = 0; ; attempt++) {
    if (!session.accessToken && session.signedIn) await session.refresh(null);
    const token = session.accessToken;
    const headers = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res;
    try {
      res = await fetch(`/api${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      throw new NetworkError();
    }
    if (res.status === 401 && token && attempt === 0) {
      await session.refresh(token);
      continue;
    }
    const data = res.status === 204 ? null : await res.json().catch(() => null);
    const retryAfter = Number(res.headers.get('retry-after')) || data?.retryAfter || undefined;
    if (res.status === 503 && method === 'GET' && attempt < retries) {
      await sleep(Math.min(MAX_WAIT_MS, (retryAfter ?? 1) * 1000));
      continue;
    }
    if (res.status === 401 && session.signedIn) throw session.forget('expired');
    if (!res.ok) throw new ApiError(res.status, data, retryAfter);
    return data;
  }
}

/** Runs `fn` until it succeeds or fails for a reason other than the network/server being briefly away. */
export async function withRetry(fn, isTransient, { onWait } = {}) {
  for (let delay = 1000; ; delay = Math.min(delay * 2, 30_000)) {
    try {
      return await fn();
    } catch (err) {
      if (!isTransient(err)) throw err;
      onWait?.(err);
      const serverHint = err.retryAfter ? err.retryAfter * 1000 : 0;
      await sleep(Math.max(serverHint, delay * (0.75 + Math.random() * 0.5)));
    }
  }
}
