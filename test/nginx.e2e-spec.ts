import { spawnSync } from 'child_process';
import { rmSync } from 'fs';
import { createServer, IncomingHttpHeaders, request, Server } from 'http';
import { join } from 'path';
import { chromium } from 'playwright-core';
import { io } from 'socket.io-client';
import { testEnv } from './support/app';
import { Api, registerUser, uniqueName } from './support/http';
import { accessLog, NGINX, nginxTest, startNginx, writeNginxConfig } from './support/nginx';
import { freePort, Proc, waitForHttp } from './support/processes';
import { connectSocket, TestSocket } from './support/sockets';

const ROOT = join(__dirname, '..');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The headers the API sends via helmet, and Nginx for the client's files (issue 10, item 10). */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};
/** The headers, with the CSP's directives spaced one way (helmet writes "a;b", Nginx "a; b"). */
const securityHeaders = (headers: Headers) =>
  Object.fromEntries(
    Object.keys(SECURITY_HEADERS).map((name) => {
      const value = headers.get(name);
      return [
        name,
        name === 'content-security-policy' && value
          ? value
              .split(';')
              .map((d) => d.trim())
              .filter(Boolean)
              .join('; ')
          : value,
      ];
    }),
  );

/**
 * A plain HTTP request from a chosen loopback address (Linux answers on all of 127.0.0.0/8), so that the
 * client's address differs from the proxy's 127.0.0.1.
 */
function requestFrom(
  localAddress: string,
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: options.method ?? 'GET', headers: options.headers, localAddress },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** An upstream that answers every request, upgrades included, with the request line and headers it got. */
function startEchoUpstream(): Promise<{ server: Server; port: number }> {
  const describe = (req: { method?: string; url?: string; headers: IncomingHttpHeaders }) =>
    JSON.stringify({ method: req.method, url: req.url, headers: req.headers });
  const server = createServer((req, res) => {
    req.resume();
    // Stands for an API response that sets security headers of its own (helmet).
    if (req.url === '/api/with-own-headers') res.setHeader('X-Frame-Options', 'SAMEORIGIN');
    res.setHeader('content-type', 'application/json');
    res.end(describe(req));
  });
  // A WebSocket upgrade gets a plain 400 with the same report, which Nginx passes back as it is.
  server.on('upgrade', (req, socket) => {
    const body = describe(req);
    socket.end(
      `HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
        `connection: close\r\n\r\n${body}`,
    );
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, port: (server.address() as { port: number }).port }),
    ),
  );
}

const apiMessages = async (user: { api: Api }, chatId: string) =>
  ((await user.api.get(`/history/${chatId}?afterSeq=0&limit=100`)).body.items as { text: string }[]).map(
    (m) => m.text,
  );

describe('through the real Nginx, in front of two API instances started by scripts/start.sh', () => {
  let apis: Proc[] = [];
  let nginx: Proc;
  let base: string;
  let dir: string;
  let apiPorts: number[];
  const sockets: TestSocket[] = [];

  beforeAll(async () => {
    apiPorts = [await freePort(), await freePort()];
    // The container's start-up script: prepare the database (wait, migrate), then start the API. As in
    // docker-compose.yml, the API trusts X-Forwarded-For from Nginx's address only.
    apis = apiPorts.map((port) =>
      Proc.spawn(
        'bash',
        [join(ROOT, 'scripts', 'start.sh'), 'api'],
        { ...process.env, ...testEnv({ PORT: String(port), TRUST_PROXY: '127.0.0.1' }) },
        ROOT,
      ),
    );
    await Promise.all(
      apiPorts.map((port, i) => waitForHttp(`http://127.0.0.1:${port}/api/health/ready`, apis[i])),
    );
    const nginxPort = await freePort();
    const config = writeNginxConfig(nginxPort, apiPorts);
    dir = config.dir;
    expect(nginxTest(config.conf, dir)).toBe('');
    nginx = startNginx(config.conf, dir);
    base = `http://127.0.0.1:${nginxPort}`;
    await waitForHttp(`${base}/api/health`, nginx);
  });
  afterAll(async () => {
    sockets.forEach((s) => s.close());
    await nginx?.stop('SIGTERM'); // fast shutdown: a graceful one waits for idle keep-alive clients
    await Promise.all(apis.map((p) => p.stop()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('nginx -t accepts the shipped config', () => {
    const result = spawnSync(NGINX, ['-t', '-p', dir, '-c', join(dir, 'nginx.conf')], { encoding: 'utf8' });
    expect(result.status).toBe(0);
    expect(result.stderr).toMatch(/syntax is ok/);
  });

  it('proxies REST and Swagger, balancing over both instances, and passes the client address on', async () => {
    const api = new Api(base);
    const user = await registerUser(api, 'viaproxy');
    expect((await user.api.get('/users/me')).body.username).toBe(user.username);
    for (let i = 0; i < 4; i++) expect((await api.get('/health')).status).toBe(200);
    const upstreams = new Set(
      [...accessLog(dir).matchAll(/"GET \/api\/health HTTP[^"]*" 200 upstream=(\S+)/g)].map((m) => m[1]),
    );
    expect(upstreams).toEqual(new Set(apiPorts.map((p) => `127.0.0.1:${p}`)));

    const sessions = (await user.api.get('/auth/sessions')).body;
    expect(sessions[0].ip).toBe('127.0.0.1');

    // A client on 127.0.0.2 that forges X-Forwarded-For: Nginx appends the address it saw, and the API,
    // trusting only Nginx (127.0.0.1), records 127.0.0.2, not the forged one nor Nginx's own.
    const name = uniqueName('fromtwo');
    const forged = await requestFrom('127.0.0.2', `${base}/api/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.9' },
      body: JSON.stringify({ email: `${name}@example.com`, username: name, password: `pw-${name}-long` }),
    });
    expect(forged.status).toBe(201);
    const forgedSessions = (await new Api(base, JSON.parse(forged.body).accessToken).get('/auth/sessions'))
      .body;
    expect(forgedSessions.map((s: { ip: string }) => s.ip)).toEqual(['127.0.0.2']);

    const docs = await fetch(`${base}/docs`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toMatch(/swagger/i);
    expect(((await (await fetch(`${base}/docs-json`)).json()) as { openapi: string }).openapi).toMatch(
      /^3\./,
    );
    expect((await (await fetch(`${base}/docs/asyncapi`)).json()) as object).toMatchObject({ asyncapi: '2.6.0' });
    // The index, not the client's page: GET /api has no trailing slash.
    const index = await fetch(`${base}/api`);
    expect(index.headers.get('content-type')).toMatch(/json/);
    expect(await index.json()).toMatchObject({ docs: '/docs', socketIo: '/socket.io' });
  });

  it('sends the security headers on the client, its scripts, proxied API responses and the 413', async () => {
    for (const path of ['/', '/js/main.js', '/style.css', '/some/client/route', '/api/health']) {
      const res = await fetch(`${base}${path}`);
      expect(res.status).toBe(200);
      expect({ path, ...securityHeaders(res.headers) }).toEqual({ path, ...SECURITY_HEADERS });
    }
    const big = await fetch(`${base}/api/auth/login`, { method: 'POST', body: 'x'.repeat(70 * 1024) });
    expect(big.status).toBe(413);
    expect(securityHeaders(big.headers)).toEqual(SECURITY_HEADERS);
  });

  it('the client runs under that Content-Security-Policy in Chromium: no violation while signing up', async () => {
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu'],
    });
    try {
      const page = await (await browser.newContext()).newPage();
      const violations: string[] = [];
      await page.exposeFunction('reportViolation', (v: string) => violations.push(v));
      // Runs in the page (a string: the test is compiled without the DOM's types).
      await page.addInitScript(
        "document.addEventListener('securitypolicyviolation', (e) => reportViolation(e.violatedDirective + ' ' + e.blockedURI))",
      );
      page.on('console', (m) => {
        if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
      });
      await page.goto(base);
      const username = uniqueName('csp');
      await page.fill('#register-form input[name=email]', `${username}@example.com`);
      await page.fill('#register-form input[name=username]', username);
      await page.fill('#register-form input[name=password]', 'browser-password');
      await page.click('#register-form button[type=submit]');
      await page.waitForSelector('#app:not([hidden])');
      // The socket connects through Nginx (connect-src 'self' covers ws: on the same origin).
      await page.waitForFunction(
        "performance.getEntriesByType('resource').some((r) => r.name.includes('/socket.io/'))",
      );
      expect(violations).toEqual([]);
    } finally {
      await browser.close();
    }
  });

  it('serves the client with caching headers and gzip, and answers oversized bodies with the JSON 413', async () => {
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>Messenger</title>');
    expect(page.headers.get('cache-control')).toBe('no-cache');
    const script = await fetch(`${base}/js/main.js`, { headers: { 'accept-encoding': 'gzip' } });
    expect(script.status).toBe(200);
    expect(script.headers.get('content-encoding')).toBe('gzip');
    // ES modules without hashed names: revalidated every time, so a page never mixes two deploys.
    expect(script.headers.get('cache-control')).toBe('no-cache');
    const etag = script.headers.get('etag');
    expect(etag).toBeTruthy();
    const again = await fetch(`${base}/js/main.js`, { headers: { 'if-none-match': etag! } });
    expect(again.status).toBe(304);
    expect((await fetch(`${base}/socket.io/socket.io.js`)).status).toBe(200);

    const big = await fetch(`${base}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ login: 'x', password: 'y'.repeat(70 * 1024) }),
    });
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ statusCode: 413, code: 'PAYLOAD_TOO_LARGE' });
  });

  it('carries Socket.IO between two clients that land on different instances, and long-polling sticks', async () => {
    const api = new Api(base);
    const alice = await registerUser(api, 'alice');
    const bob = await registerUser(api, 'bob');
    const chatId = (await alice.api.post('/chats/direct', { userId: bob.id })).body.id;
    const before = accessLog(dir).length;
    const aliceSocket = await connectSocket(base, alice.accessToken);
    const bobSocket = await connectSocket(base, bob.accessToken);
    sockets.push(aliceSocket, bobSocket);
    const ack = await aliceSocket.emitAck('message:send', {
      chatId,
      text: 'through nginx',
      clientMsgId: 'ngx-1',
    });
    expect(ack.ok).toBe(true);
    expect((await bobSocket.waitFor('message:new')).text).toBe('through nginx');

    // Nginx logs a WebSocket when it closes: then the two upgrades show which instance each client had.
    aliceSocket.close();
    bobSocket.close();
    const deadline = Date.now() + 5000;
    let landed: string[] = [];
    while (Date.now() < deadline && landed.length < 2) {
      await new Promise((r) => setTimeout(r, 100));
      landed = [
        ...accessLog(dir)
          .slice(before)
          .matchAll(/"GET \/socket\.io\/\?[^"]*transport=websocket[^"]*" 101 upstream=(\S+)/g),
      ].map((m) => m[1]);
    }
    expect(landed).toHaveLength(2);
    expect(new Set(landed).size).toBe(2);

    // The polling transport (no WebSocket): every request of the session must reach the same instance.
    const polling = io(base, {
      path: '/socket.io',
      auth: { token: bob.accessToken },
      transports: ['polling'],
      reconnection: false,
      forceNew: true,
    });
    await new Promise<void>((resolve, reject) => {
      polling.once('connect', resolve);
      polling.once('connect_error', reject);
    });
    try {
      for (let i = 0; i < 5; i++) {
        const reply = await polling
          .timeout(5000)
          .emitWithAck('message:send', { chatId, text: `poll ${i}`, clientMsgId: `ngx-poll-${i}` });
        expect(reply.ok).toBe(true);
      }
      expect(await apiMessages(alice, chatId)).toContain('poll 4');
      const pollUpstreams = new Set(
        [
          ...accessLog(dir).matchAll(
            /"(?:GET|POST) \/socket\.io\/\?[^"]*transport=polling[^"]*" 200 upstream=(\S+)/g,
          ),
        ].map((m) => m[1]),
      );
      expect(pollUpstreams.size).toBe(1);
    } finally {
      polling.close();
    }
  });
});

describe('Nginx towards an upstream that reports what it received', () => {
  let echo: Server;
  let nginx: Proc;
  let base: string;
  let dir: string;

  beforeAll(async () => {
    const upstream = await startEchoUpstream();
    echo = upstream.server;
    const port = await freePort();
    const config = writeNginxConfig(port, [upstream.port]);
    dir = config.dir;
    expect(nginxTest(config.conf, dir)).toBe('');
    nginx = startNginx(config.conf, dir);
    base = `http://127.0.0.1:${port}`;
    await waitForHttp(`${base}/api/health`, nginx);
  });
  afterAll(async () => {
    await nginx?.stop('SIGTERM'); // fast shutdown: a graceful one waits for idle keep-alive clients
    await new Promise((resolve) => echo?.close(resolve));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const forwarded = {
    host: 'chat.example.com',
    'x-real-ip': '127.0.0.2',
    'x-forwarded-for': '198.51.100.7, 127.0.0.2',
    'x-forwarded-proto': 'http',
    'x-forwarded-host': 'chat.example.com',
  };

  it.each([
    ['a REST call', '/api/users/me', {}],
    ['Swagger', '/docs', {}],
    ['a Socket.IO long-polling request (sticky upstream)', '/socket.io/?EIO=4&transport=polling', {}],
    [
      'a Socket.IO WebSocket upgrade',
      '/socket.io/?EIO=4&transport=websocket',
      {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
      },
    ],
  ])('%s carries Host, X-Real-IP and X-Forwarded-* to the upstream', async (_what, path, extra) => {
    const res = await requestFrom('127.0.0.2', `${base}${path}`, {
      headers: { host: 'chat.example.com', 'x-forwarded-for': '198.51.100.7', ...extra },
    });
    const seen = JSON.parse(res.body) as { url: string; headers: IncomingHttpHeaders };
    expect(seen.url).toBe(path);
    expect(seen.headers).toMatchObject(forwarded);
    if ('upgrade' in extra)
      expect(seen.headers).toMatchObject({ upgrade: 'websocket', connection: 'upgrade' });
  });

  it('keeps an upstream security header as it is instead of adding a second one', async () => {
    const own = await fetch(`${base}/api/with-own-headers`);
    expect(own.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(own.headers.get('content-security-policy')).toBe(SECURITY_HEADERS['content-security-policy']);
    // Swagger UI's policy is the API's to set: Nginx adds none of its own there.
    const docs = await fetch(`${base}/docs`);
    expect(docs.headers.get('content-security-policy')).toBeNull();
    expect(docs.headers.get('x-content-type-options')).toBe('nosniff');
  });
});
