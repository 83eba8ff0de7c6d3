import { request as httpRequest } from 'http';

export interface HttpResult<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/**
 * A thin real-HTTP client for the API under test. `from` binds the client's end to another loopback address
 * (127.0.0.2, ...), so the server sees a different client IP, as it would for a different machine.
 */
export class Api {
  constructor(
    readonly baseUrl: string,
    private readonly token?: string,
    private readonly from?: string,
  ) {}

  as(token: string): Api {
    return new Api(this.baseUrl, token, this.from);
  }

  fromAddress(localAddress: string): Api {
    return new Api(this.baseUrl, this.token, localAddress);
  }

  async request<T = any>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<HttpResult<T>> {
    const init: RequestInit = { method, headers: { ...headers } };
    if (this.token) (init.headers as Record<string, string>).authorization = `Bearer ${this.token}`;
    if (body !== undefined) {
      (init.headers as Record<string, string>)['content-type'] = 'application/json';
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
    }
    const res = this.from
      ? await requestFrom(this.from, `${this.baseUrl}/api${path}`, init)
      : await fetch(`${this.baseUrl}/api${path}`, init);
    const text = await res.text();
    let parsed: any = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON: keep the text */
    }
    return { status: res.status, body: parsed as T, headers: res.headers };
  }

  get<T = any>(path: string, headers?: Record<string, string>) {
    return this.request<T>('GET', path, undefined, headers);
  }
  post<T = any>(path: string, body?: unknown, headers?: Record<string, string>) {
    return this.request<T>('POST', path, body, headers);
  }
  patch<T = any>(path: string, body?: unknown) {
    return this.request<T>('PATCH', path, body);
  }
  delete<T = any>(path: string) {
    return this.request<T>('DELETE', path);
  }
}

/** fetch() cannot choose the local address; node:http can. Returns a fetch-like Response. */
function requestFrom(localAddress: string, url: string, init: RequestInit): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { method: init.method, headers: init.headers as Record<string, string>, localAddress },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const headers = new Headers();
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers.set(k, String(v));
          const empty = res.statusCode === 204 || res.statusCode === 304;
          resolve(new Response(empty ? null : Buffer.concat(chunks), { status: res.statusCode, headers }));
        });
      },
    );
    req.on('error', reject);
    req.end(init.body as string | undefined);
  });
}

let counter = 0;
export function uniqueName(prefix = 'u'): string {
  counter += 1;
  return `${prefix}${Date.now().toString(36)}${process.pid.toString(36)}${counter}`
    .slice(0, 32)
    .toLowerCase();
}

export interface TestUser {
  id: string;
  username: string;
  email: string;
  password: string;
  accessToken: string;
  refreshToken: string;
  api: Api;
}

/** A new account through the API; `fields` may set the display name or the password. */
export async function registerUser(
  api: Api,
  prefix = 'u',
  fields: { displayName?: string; password?: string } = {},
): Promise<TestUser> {
  const username = uniqueName(prefix);
  const password = fields.password ?? `pw-${username}`;
  const email = `${username}@example.com`;
  const res = await api.post('/auth/register', { email, username, password, ...fields });
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`);
  return {
    id: res.body.user.id,
    username,
    email,
    password,
    accessToken: res.body.accessToken,
    refreshToken: res.body.refreshToken,
    api: api.as(res.body.accessToken),
  };
}
