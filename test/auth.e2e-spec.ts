import { JwtService } from '@nestjs/jwt';
import { spawn } from 'child_process';
import { randomUUID } from 'crypto';
import { existsSync } from 'fs';
import { join } from 'path';
import { TEST_JWT_SECRET, twoInstances } from './support/app';
import { Api, registerUser, uniqueName } from './support/http';
import { connectSocket } from './support/sockets';

describe('accounts and sessions (two instances, real PostgreSQL + Redis)', () => {
  const env = twoInstances();

  it('register -> login -> me -> refresh -> logout, across instances', async () => {
    const username = uniqueName('flow');
    const reg = await env.apiA.post('/auth/register', {
      email: `${username.toUpperCase()}@Example.com`,
      username,
      password: 'long-enough-pw',
      displayName: '  Flow User  ',
    });
    expect(reg.status).toBe(201);
    expect(reg.body.user).toMatchObject({
      username,
      email: `${username}@example.com`,
      displayName: 'Flow User',
      online: false,
    });
    expect(reg.body.user).not.toHaveProperty('passwordHash');
    expect(JSON.stringify(reg.body)).not.toMatch(/\$2[aby]\$/);

    const login = await env.apiB.post('/auth/login', {
      login: `${username}@example.com`,
      password: 'long-enough-pw',
      deviceName: 'phone',
    });
    expect(login.status).toBe(200);
    const { accessToken, refreshToken } = login.body;

    const me = await env.apiA.as(accessToken).get('/users/me');
    expect(me.status).toBe(200);
    expect(me.body.id).toBe(reg.body.user.id);

    const refreshed = await env.apiB.post('/auth/refresh', { refreshToken });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.refreshToken).not.toBe(refreshToken);
    expect((await env.apiA.as(refreshed.body.accessToken).get('/users/me')).status).toBe(200);

    // Logout on A: the session's tokens stop working on B at once.
    expect((await env.apiA.as(refreshed.body.accessToken).post('/auth/logout')).status).toBe(204);
    expect((await env.apiB.as(refreshed.body.accessToken).get('/users/me')).status).toBe(401);
    expect((await env.apiB.as(accessToken).get('/users/me')).status).toBe(401);
    expect((await env.apiB.post('/auth/refresh', { refreshToken: refreshed.body.refreshToken })).status).toBe(
      401,
    );
    // The registration's own session is unaffected.
    expect((await env.apiB.as(reg.body.accessToken).get('/users/me')).status).toBe(200);
  });

  // The session check comes before anything a handler would answer: a revoked session (or a well-signed token
  // naming a session that never existed) learns nothing from a 200, a 404 or a 400, on any instance.
  it('a revoked session reads nothing: every GET answers 401, whatever its handler would have', async () => {
    const alice = await registerUser(env.apiA);
    const bob = await registerUser(env.apiA);
    const chat = await alice.api.post('/chats/direct', { userId: bob.id });
    expect(chat.status).toBe(201);
    const secret = await alice.api.post(`/chats/${chat.body.id}/messages`, {
      text: 'secret',
      clientMsgId: 'revoked-read',
    });
    expect(secret.status).toBe(201);
    const unknown = '00000000-0000-4000-8000-000000000000';
    const reads: [string, number][] = [
      [`/history/${chat.body.id}`, 200], // holds 'secret' until the logout
      [`/history/${chat.body.id}?limit=abc`, 400],
      [`/history/${unknown}`, 404],
      [`/users/${bob.id}`, 200],
      [`/users/${unknown}`, 404],
      ['/chats', 200],
      ['/auth/sessions', 200],
    ];
    for (const [path, status] of reads)
      expect([path, (await alice.api.get(path)).status]).toEqual([path, status]);
    const forged = new JwtService({ secret: TEST_JWT_SECRET }).sign({ sub: alice.id, sid: randomUUID() });

    expect((await alice.api.post('/auth/logout')).status).toBe(204);
    for (const token of [alice.accessToken, forged]) {
      for (const api of [env.apiA, env.apiB]) {
        for (const [path] of reads) {
          const res = await api.as(token).get(path);
          expect([path, res.status, res.body.code]).toEqual([path, 401, 'UNAUTHORIZED']);
          expect(JSON.stringify(res.body)).not.toContain('secret');
        }
      }
      const head = await fetch(`${env.a.url}/api/users/me`, {
        method: 'HEAD',
        headers: { authorization: `Bearer ${token}` },
      });
      expect(head.status).toBe(401);
    }
  });

  it('rejects a duplicate email or username with 409, case-insensitively', async () => {
    const user = await registerUser(env.apiA);
    const dupEmail = await env.apiA.post('/auth/register', {
      email: user.email.toUpperCase(),
      username: uniqueName(),
      password: 'long-enough-pw',
    });
    expect(dupEmail.status).toBe(409);
    expect(dupEmail.body).toMatchObject({ statusCode: 409, error: 'Conflict', code: 'EMAIL_TAKEN' });
    const dupName = await env.apiB.post('/auth/register', {
      email: `${uniqueName()}@x.io`,
      username: user.username.toUpperCase(),
      password: 'long-enough-pw',
    });
    expect(dupName.status).toBe(409);
    expect(dupName.body.code).toBe('USERNAME_TAKEN');
  });

  it('concurrent registrations of one username create exactly one account', async () => {
    const username = uniqueName('race');
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        (i % 2 ? env.apiA : env.apiB).post('/auth/register', {
          email: `${username}${i}@x.io`,
          username,
          password: 'long-enough-pw',
        }),
      ),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 409)).toHaveLength(5);
  });

  it.each([
    ['invalid email', { email: 'not-an-email', username: 'okname', password: 'password-1' }, 'email'],
    ['short password', { email: 'ok@x.io', username: 'okname', password: 'short' }, 'password'],
    [
      'unknown field',
      { email: 'ok@x.io', username: 'okname', password: 'long-enough-pw', isAdmin: true },
      'isAdmin',
    ],
    ['missing field', { email: 'ok@x.io', password: 'password-1' }, 'username'],
    ['wrong type', { email: 'ok@x.io', username: 42, password: 'password-1' }, 'username'],
  ])('400 for %s, naming the field', async (_, body, field) => {
    const res = await env.apiA.post('/auth/register', body);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request', code: 'VALIDATION_FAILED' });
    expect(res.body.details.map((d: { field: string }) => d.field)).toContain(field);
  });

  it('400 for malformed JSON and 413 for an oversized body, in the one error shape', async () => {
    const malformed = await env.apiA.post('/auth/login', '{"login": ');
    expect(malformed.status).toBe(400);
    expect(malformed.body).toMatchObject({ statusCode: 400, code: 'MALFORMED_JSON' });
    const huge = await env.apiA.post('/auth/login', {
      login: 'x',
      password: 'y'.repeat(env.a.config.bodyLimitBytes + 10),
    });
    expect(huge.status).toBe(413);
    expect(huge.body).toMatchObject({
      statusCode: 413,
      error: 'Payload Too Large',
      code: 'PAYLOAD_TOO_LARGE',
    });
  });

  it('answers a wrong password and an unknown user with the identical 401', async () => {
    const user = await registerUser(env.apiA);
    const wrong = await env.apiA.post('/auth/login', { login: user.username, password: 'not-the-password' });
    const unknown = await env.apiA.post('/auth/login', {
      login: uniqueName('ghost'),
      password: 'not-the-password',
    });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    // Identical but for the request id, which names the request, not the account.
    const { requestId: _wrongId, ...wrongBody } = wrong.body;
    const { requestId: _unknownId, ...unknownBody } = unknown.body;
    expect(wrongBody).toEqual(unknownBody);
    expect(wrong.body.code).toBe('INVALID_CREDENTIALS');
  });

  it('rejects tampered, expired, foreign-signed, other-algorithm and missing tokens with 401', async () => {
    const user = await registerUser(env.apiA);
    const [header, payload, signature] = user.accessToken.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const otherUser = await registerUser(env.apiA);
    const forgedPayload = Buffer.from(JSON.stringify({ ...claims, sub: otherUser.id })).toString('base64url');
    const tampered = `${header}.${forgedPayload}.${signature}`;
    const expired = new JwtService({ secret: TEST_JWT_SECRET }).sign({
      sub: user.id,
      sid: claims.sid,
      exp: Math.floor(Date.now() / 1000) - 5,
    });
    const foreign = new JwtService({ secret: 'some-other-secret-some-other-secret' }).sign({
      sub: user.id,
      sid: claims.sid,
    });
    // The right secret but another HMAC: only HS256 is accepted (the key is the same bytes for every HS*).
    const otherAlgorithm = new JwtService({ secret: TEST_JWT_SECRET }).sign(
      { sub: user.id, sid: claims.sid },
      { algorithm: 'HS512' },
    );
    // Signed with the secret as a string, as tokens were before the key became a KeyObject: still good.
    const valid = new JwtService({ secret: TEST_JWT_SECRET }).sign(
      { sub: user.id, sid: claims.sid },
      { expiresIn: '5m' },
    );
    // The right secret, but no expiry: such a token would never end (every token the server signs expires).
    const endless = new JwtService({ secret: TEST_JWT_SECRET }).sign({ sub: user.id, sid: claims.sid });

    expect((await env.apiA.as(valid).get('/users/me')).status).toBe(200);
    for (const token of [tampered, expired, foreign, otherAlgorithm, endless, 'garbage']) {
      const res = await env.apiB.as(token).get('/users/me');
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('UNAUTHORIZED');
    }
    await expect(connectSocket(env.a.url, endless)).rejects.toMatchObject({ data: { code: 'UNAUTHORIZED' } });
    expect((await env.apiB.get('/users/me')).status).toBe(401);
  });

  it('a replayed (spent) refresh token is refused and revokes the session', async () => {
    const user = await registerUser(env.apiA);
    const first = await env.apiA.post('/auth/refresh', { refreshToken: user.refreshToken });
    expect(first.status).toBe(200);
    const replay = await env.apiB.post('/auth/refresh', { refreshToken: user.refreshToken });
    expect(replay.status).toBe(401);
    expect(replay.body.code).toBe('REFRESH_TOKEN_INVALID');
    // The whole session is gone: the newest refresh token and its access token no longer work.
    expect((await env.apiA.post('/auth/refresh', { refreshToken: first.body.refreshToken })).status).toBe(
      401,
    );
    expect((await env.apiA.as(first.body.accessToken).get('/users/me')).status).toBe(401);
    // A made-up token is just refused.
    expect((await env.apiA.post('/auth/refresh', { refreshToken: 'x.y' })).status).toBe(401);
  });

  it('lists the caller’s sessions and revokes one of them', async () => {
    const user = await registerUser(env.apiA);
    const second = await env.apiB.post('/auth/login', {
      login: user.username,
      password: user.password,
      deviceName: 'tablet',
    });
    const list = await user.api.get('/auth/sessions');
    expect(list.status).toBe(200);
    expect(list.body).toHaveLength(2);
    expect(list.body.filter((s: { current: boolean }) => s.current)).toHaveLength(1);
    const tablet = list.body.find((s: { deviceName: string }) => s.deviceName === 'tablet');
    expect(tablet).toBeDefined();

    const stranger = await registerUser(env.apiA);
    expect((await stranger.api.delete(`/auth/sessions/${tablet.id}`)).status).toBe(404);
    expect((await env.apiB.as(second.body.accessToken).get('/users/me')).status).toBe(200);

    expect((await user.api.delete(`/auth/sessions/${tablet.id}`)).status).toBe(204);
    expect((await env.apiB.as(second.body.accessToken).get('/users/me')).status).toBe(401);
    expect((await user.api.get('/auth/sessions')).body).toHaveLength(1);
  });

  it('users: me, by id, search sorted and paged, never a password hash', async () => {
    const tag = uniqueName('srch').slice(0, 10);
    const users = [];
    for (const suffix of ['c', 'a', 'b']) {
      const username = `${tag}_${suffix}`;
      const res = await env.apiA.post('/auth/register', {
        email: `${username}@x.io`,
        username,
        password: 'long-enough-pw',
      });
      users.push({ ...res.body.user, token: res.body.accessToken });
    }
    const api = env.apiB.as(users[0].token);
    const page1 = await api.get(`/users?search=${tag}&limit=2&offset=0`);
    expect(page1.status).toBe(200);
    expect(page1.body.total).toBe(3);
    expect(page1.body.items.map((u: { username: string }) => u.username)).toEqual([`${tag}_a`, `${tag}_b`]);
    const page2 = await api.get(`/users?search=${tag}&limit=2&offset=2`);
    expect(page2.body.items.map((u: { username: string }) => u.username)).toEqual([`${tag}_c`]);
    expect(JSON.stringify([page1.body, page2.body])).not.toMatch(/password|\$2[aby]\$/i);

    const byId = await api.get(`/users/${users[1].id}`);
    expect(byId.status).toBe(200);
    // A stranger's profile: no email, no presence (see security.e2e-spec.ts for the rules).
    expect(Object.keys(byId.body).sort()).toEqual([
      'createdAt',
      'displayName',
      'id',
      'lastSeenAt',
      'online',
      'username',
    ]);
    expect(byId.body).toMatchObject({ online: null, lastSeenAt: null });
    expect((await api.get('/users/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await api.get('/users/not-a-uuid')).status).toBe(400);
    for (const bad of ['limit=0', 'limit=101', 'limit=abc', 'offset=-1', 'offset=1.5']) {
      const res = await api.get(`/users?${bad}`);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
    }
    // LIKE wildcards in the search are taken literally.
    expect((await api.get(`/users?search=${encodeURIComponent('%')}`)).body.total).toBe(0);
  });

  it('serves Swagger UI and a document with every endpoint and bearer auth', async () => {
    const ui = await fetch(`${env.a.url}/docs`);
    expect(ui.status).toBe(200);
    expect(await ui.text()).toContain('swagger');
    const doc: any = await (await fetch(`${env.a.url}/docs-json`)).json();
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    const expected = {
      '/api/auth/register': ['post'],
      '/api/auth/login': ['post'],
      '/api/auth/refresh': ['post'],
      '/api/auth/logout': ['post'],
      '/api/auth/sessions': ['get'],
      '/api/auth/sessions/{id}': ['delete'],
      '/api/users/me': ['get'],
      '/api/users': ['get'],
      '/api/users/{id}': ['get'],
      '/api/chats/direct': ['post'],
      '/api/chats': ['get'],
      '/api/chats/{id}': ['get'],
      '/api/chats/{chatId}/messages': ['post'],
      '/api/chats/{chatId}/read': ['post'],
      '/api/history/{chatId}': ['get'],
      '/api/messages/{id}': ['patch', 'delete'],
      '/api/messages/{id}/read': ['post'],
      '/api/groups': ['post'],
      '/api/groups/{id}': ['get', 'patch'],
      '/api/groups/{id}/members': ['post'],
      '/api/groups/{id}/members/{userId}': ['delete', 'patch'],
      '/api/health': ['get'],
      '/api/health/ready': ['get'],
    };
    for (const [path, methods] of Object.entries(expected)) {
      for (const method of methods) {
        const op = doc.paths[path]?.[method];
        expect({ path, method, documented: Boolean(op) }).toEqual({ path, method, documented: true });
        expect(Object.keys(op.responses).length).toBeGreaterThan(0);
      }
    }
    expect(doc.paths['/api/chats'].get.security).toEqual([{ bearer: [] }]);
    expect(doc.components.schemas.MessageDto.properties).toHaveProperty('clientMsgId');
  });
});

describe('auth rate limiting (Redis-backed, shared by instances)', () => {
  // Each test speaks from loopback addresses of its own (127.0.0.x), so its limits never touch another test's.
  const env = twoInstances({
    THROTTLE_AUTH_PER_MINUTE: '3',
    THROTTLE_LOGIN_FAILURES_PER_ACCOUNT_IP: '100',
  });

  it('per client IP: the 4th attempt in a minute gets 429 with Retry-After, on either instance', async () => {
    const from = (url: string) => new Api(url).fromAddress('127.0.0.21');
    const attempt = (api: Api) =>
      api.post('/auth/login', { login: uniqueName('nobody'), password: 'whatever-1' });
    const statuses = [];
    for (const api of [from(env.a.url), from(env.b.url), from(env.a.url)])
      statuses.push((await attempt(api)).status);
    expect(statuses).toEqual([401, 401, 401]);
    const limited = await attempt(from(env.b.url));
    expect(limited.status).toBe(429);
    expect(limited.body.code).toBe('RATE_LIMITED');
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // Another address is not affected.
    expect((await attempt(new Api(env.a.url).fromAddress('127.0.0.22'))).status).toBe(401);
  });

  it('per account: the 4th attempt in a minute on one account gets 429 from any address; other accounts go on', async () => {
    const login = uniqueName('target');
    const attempt = (address: string, name = login) =>
      new Api(env.a.url).fromAddress(address).post('/auth/login', { login: name, password: 'whatever-1' });
    const statuses = [];
    for (const address of ['127.0.0.41', '127.0.0.42', '127.0.0.43'])
      statuses.push((await attempt(address)).status);
    expect(statuses).toEqual([401, 401, 401]);
    // The same account in another spelling, from a fourth address: still that account's budget.
    const limited = await attempt('127.0.0.44', login.toUpperCase());
    expect({ status: limited.status, code: limited.body.code }).toEqual({
      status: 429,
      code: 'RATE_LIMITED',
    });
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await attempt('127.0.0.44', uniqueName('other'))).status).toBe(401);
  });

  it('a forged X-Forwarded-For from a direct client does not change the limited IP (TRUST_PROXY trusts nobody)', async () => {
    const api = new Api(env.a.url).fromAddress('127.0.0.23');
    const statuses = [];
    for (let i = 0; i < 4; i++) {
      const res = await api.post(
        '/auth/login',
        { login: uniqueName('nobody'), password: 'whatever-1' },
        { 'x-forwarded-for': `198.51.100.${i + 1}`, 'x-real-ip': `198.51.100.${i + 1}` },
      );
      statuses.push(res.status);
    }
    expect(statuses).toEqual([401, 401, 401, 429]);
  });
});

describe('auth rate limiting behind a trusted proxy', () => {
  const env = twoInstances({ THROTTLE_AUTH_PER_MINUTE: '3', TRUST_PROXY: '127.0.0.24' });

  it('X-Forwarded-For names the client only when it comes from the proxy TRUST_PROXY names', async () => {
    const proxy = new Api(env.a.url).fromAddress('127.0.0.24');
    const via = (client: string) =>
      proxy.post(
        '/auth/login',
        { login: uniqueName('n'), password: 'whatever-1' },
        { 'x-forwarded-for': client },
      );
    for (let i = 0; i < 3; i++) expect((await via('198.51.100.50')).status).toBe(401);
    expect((await via('198.51.100.50')).status).toBe(429);
    expect((await via('198.51.100.51')).status).toBe(401); // another client behind the same proxy
  });
});

describe('start-up configuration', () => {
  it('refuses to start in production without JWT_SECRET, naming the variable', async () => {
    const entry = join(__dirname, '..', 'dist', 'main.js');
    expect(existsSync(entry)).toBe(true); // the test command builds before running the tests
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'production', PORT: '0' };
      delete env.JWT_SECRET;
      const child = spawn(process.execPath, [entry], { env });
      let err = '';
      child.stderr.on('data', (d) => (err += String(d)));
      const timer = setTimeout(() => child.kill('SIGKILL'), 20000);
      child.on('exit', (c) => {
        clearTimeout(timer);
        resolve({ code: c, stderr: err });
      });
    });
    expect(code).toBe(1);
    expect(stderr).toContain('JWT_SECRET');
  });
});
